"""The engine: from POST /callback to an answer, whatever the feature.

webhook (verify, store, 200) → inbox_writer (group commit) → worker (lanes) → context
(EventContext, answer()) → router (the app's features) … → line_api (the LINE client).
Also: services (what one app shares), scheduler (the one-process tick), assess_pool
(photo assessment processes), media (users' pictures and /media), health (/healthz).
The engine imports no feature; features reach each other only through it (the router's
tables, EventContext, Services).
"""
