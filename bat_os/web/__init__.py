"""The web inspector: a page in the browser where a person sees the living image and works on it.

``chat_client.py --web`` (``./run.sh web``, ``puter.bat web``) starts :mod:`bat_os.web.cli`: an aiohttp server
on 127.0.0.1 (:mod:`bat_os.web.server`) that talks to the kernel as a client (:mod:`bat_os.web.link`: DEALER
for requests, routed as the console routes them, SUB for the event stream) and never opens the image itself. The page (``page/``: plain HTML,
CSS and JavaScript, no build step, nothing fetched from elsewhere) draws the world view, the inspector, the
talk box, the event log and the questions cycles ask. See docs/inspector.md.

May import: bat_os.protocol, bat_os.oscompat, bat_os.console (its errors, routing and translating), aiohttp, zmq.
"""
