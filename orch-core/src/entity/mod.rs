//! sea-orm entities of the orchestrator-core tables.
