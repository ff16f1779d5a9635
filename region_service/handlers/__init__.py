"""One function per command or query of the region. Proto requests serve as the command objects
(see docs/adr/0006); the ledger and pricing rules they call are proto-free.

A command is ``handler(uow, request) -> response``, run by the region's pipeline
(``ctx.commands.run(handler, request)``, chaincard.commands): it reads and writes through
``uow.session``, finds the program and settings in ``uow.region``, and never commits. A query is
``handler(ctx, request) -> response`` and reads in a session of its own."""
