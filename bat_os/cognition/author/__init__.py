"""The author's room: what the personas are asked, and what is read out of their replies.

``prompts``  every prompt, and how a request's sentence is read (its conditions, the slots it names, a clock)
``replies``  research queries, a method's source, cases and each condition's calls read out of a reply
``mending``  a reply rebuilt into a candidate: the method (lifted out of a class), what it names, small slips mended

May import ``judge`` (cases as data), ``image`` (the receiver's objects, the personas) and ``jail`` (its contract).
"""
