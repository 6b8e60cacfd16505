"""The living image: prototype objects in a transactional ZODB FileStorage.

``objects``     UvmObject (slots, delegation, clone), Method (source kept in the image), the covenant
``history``     every version of every learned method, per object and selector, and what happened to it
``image``       Image: open the FileStorage, awaken (run migrations), resolve targets, connections
``transact``    every transaction: begin, run, commit or abort, retry what is transient
``codec``       values between the image and the wire (objects out as references, references in)
``migrations``  the ordered migrations: what each schema version adds
``primordial``  first awakening: traits, genesis, the personas (PERSONAS), the state objects, the catalog
``chronicle``   the image's own record of its backups, restores, prunes and packs
``packing``     packing the FileStorage (progress, stopping, safe under kill -9), measuring its history
``legacy``      where persistent classes lived before (old images name old paths)

May import: ``bat_os.errors`` and ``bat_os.protocol``. ``migrations`` and
``primordial`` assemble the world, so they also import the persistent
classes of the other concerns (``memory.catalog``, ``cognition.cycle.record``,
``cognition.cycle.states``, ``models.records``).
"""
