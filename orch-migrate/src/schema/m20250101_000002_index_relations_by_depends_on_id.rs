//! Indexes `subscription_instance_relations` by `depends_on_id`: orch's one addition to
//! orchestrator-core's schema.
//!
//! orchestrator-core's table has one index, its primary key `(in_use_by_id, depends_on_id,
//! order_id)`, which finds the blocks an instance uses but not the instances that use a block.
//! Every question of the second kind, asked for one subscription, scanned the whole table:
//! the in-use check of a transition (`check_dependants`), the check on save that a deleted
//! block is not used by another subscription, and the "in use by" of the subscription
//! domain-model endpoint. With this index they stay flat as the table grows (see the
//! `dependants` bench).
//!
//! An extra index is invisible to orchestrator-core, which reads and writes the table as
//! before; it is created on an adopted orchestrator-core database too. MariaDB needs none:
//! InnoDB indexes every foreign key, and `depends_on_id` has one, so there this migration only
//! records itself. Creating the index takes a lock that blocks writes to the table while it is
//! built (about 0.1 s per 100,000 relations on PostgreSQL).

use orch_core::migration::{DbErr, MigrationName, MigrationTrait, SchemaManager, async_trait};
use sea_orm::DbBackend;
use sea_query::Index;

/// The migration's name, as recorded in `seaql_migrations`.
pub const NAME: &str = "m20250101_000002_index_relations_by_depends_on_id";

/// The index's name, in orchestrator-core's `ix_<table>_<column>` style.
pub const INDEX: &str = "ix_subscription_instance_relations_depends_on_id";

/// Creates (and drops) [`INDEX`].
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        NAME
    }
}

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::MySql {
            return Ok(());
        }
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table("subscription_instance_relations")
                    .col("depends_on_id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::MySql {
            return Ok(());
        }
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table("subscription_instance_relations")
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
