// Integration tests wait on real servers (broker restarts, workflow runs): a longer per-test budget.
jest.setTimeout(120_000);
