"""Plain English -> one request: the brief schema, the local translator, and ALFRED's prompt.

``briefs``      the schema of a translated request (shared by the kernel and the client)
``translator``  the local, rule-based translator (no model, no kernel): ``translate()``,
                and the names the console and the kernel import
``rules``       its rules, in order, with the table of phrasings each recognises
``normalise``   a sentence made ready for the rules: politeness, contractions, arguments pulled out
``selectors``   method names from English: action phrase -> snake_case selector, base verbs
``vocabulary``  the word tables the translator reads (data)
``examples``    examples written in a sentence ("e.g. add(2, 3) is 5"), as plain data (``ast.literal_eval``)
``model``       the prompt ALFRED's model gets, and what of its answer is accepted

Imports run one way: ``translator`` -> ``rules`` -> ``selectors`` -> ``normalise``
-> ``vocabulary`` (and ``briefs`` where a request or a selector is checked; ``rules`` also reads ``examples``).
The standard library only: the client (``bat_os.console``) imports this
package, and must not pull in ZODB or torch.
"""
