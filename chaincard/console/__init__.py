"""The web console (issue 19, docs/adr/0059): HQ, regional managers, franchisees and store managers
in the browser. Server-rendered pages over gRPC with the operator's own token; no database."""
