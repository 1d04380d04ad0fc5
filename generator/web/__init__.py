"""``apport serve``: the workspace as a page in the browser of the person at this machine.

A thin layer over the library the command line calls: the deal files stay
the source of truth; every rule, wording and figure comes from the library
(validation, the wizard's field table, the clause rendering, the Word
engine, the guarded writer). Modules:

* :mod:`.security` — who may talk to the server (token, Host, Origin, CSP);
* :mod:`.store` — deal names and the files they stand for, inside the workspace;
* :mod:`.form` — the deal as a form: fields, French readings, messages by field;
* :mod:`.preview` — a Word document shown as HTML (the same words as the file);
* :mod:`.app` — the routes: the JSON API of the spec and the page;
* :mod:`.server` — binding 127.0.0.1, the printed URL, uvicorn.
"""

from __future__ import annotations
