"""What tests share besides fixtures: starting the regions in this process (``regions``), plain SQL
(``sql``), the ledger invariants (``ledger``), opening and funding cards and asserting refusals
(``cards``), and the data of other suites (``settlement``, ``messages``, ``members``). Test modules
import from here (or take fixtures from a conftest.py), never from another test module."""
