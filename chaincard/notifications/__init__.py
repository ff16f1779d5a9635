"""Transaction notices (N1, N5): templates, quiet hours and the channels notices go out on.

Nothing here knows where notices come from: hq_service plans them from events and dispatches them
(hq_service.notices); this package renders and delivers one notice at a time.
"""
