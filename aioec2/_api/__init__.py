"""
The typed EC2 operations, one mixin per resource family, composed into :class:`aioec2.Session`.

Each mixin turns Python arguments into EC2 members, checks them before anything is sent,
calls :meth:`OperationsBase.call` and wraps the result in models bound to the session.
"""
