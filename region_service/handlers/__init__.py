"""One function per command or query of the region. Proto requests serve as the command objects
(see docs/adr/0006); the ledger and pricing rules they call are proto-free."""
