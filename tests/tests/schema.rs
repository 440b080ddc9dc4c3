//! The core schema migration on SQLite, PostgreSQL and MariaDB: it creates orchestrator-core's
//! 17 tables, the sea-orm entities read and write them, the foreign keys, unique constraints and
//! version triggers behave as in orchestrator-core, `down` removes everything, and on PostgreSQL
//! the result is identical to orchestrator-core's own schema (`data/orchestrator-core-schema.sql`).

#![allow(missing_docs)]

use std::collections::BTreeSet;

use orch_core::entity::{
    fixed_inputs, processes, processes_subscriptions, product_block_relations,
    product_block_resource_types, product_blocks, product_product_blocks, products,
    products_workflows, resource_types, subscription_customer_descriptions,
    subscription_instance_relations, subscription_instance_values, subscription_instances,
    subscription_metadata, subscriptions, workflows,
};
use orch_migrate::Migrator;
use sea_orm::prelude::{DateTimeUtc, Uuid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, JoinType, ModelTrait, PaginatorTrait, QueryFilter, QuerySelect, RelationTrait,
    Set, SqlErr, Statement,
};
use sea_orm_migration::{MigratorTraitSelf, SchemaManager};
use tests::{Backend, TestDb};

/// orchestrator-core's schema as `pg_dump` shows it, reduced to the tables orch shares.
const REFERENCE_SQL: &str = include_str!("../data/orchestrator-core-schema.sql");

/// The tables the core schema migration creates, in creation order.
const TABLES: [&str; 17] = [
    "products",
    "product_blocks",
    "resource_types",
    "workflows",
    "fixed_inputs",
    "product_product_blocks",
    "product_block_relations",
    "product_block_resource_types",
    "products_workflows",
    "subscriptions",
    "subscription_instances",
    "subscription_instance_values",
    "subscription_instance_relations",
    "subscription_customer_descriptions",
    "subscription_metadata",
    "processes",
    "processes_subscriptions",
];

/// A fresh database with the core schema, or `None` when the server is unreachable outside CI.
async fn migrated(backend: Backend) -> Option<TestDb> {
    let db = TestDb::new(backend).await?;
    Migrator::core_only()
        .up(&db.conn, None)
        .await
        .unwrap_or_else(|e| panic!("core schema migration failed on {backend}: {e}"));
    Some(db)
}

async fn existing_tables(conn: &DatabaseConnection) -> Vec<&'static str> {
    let manager = SchemaManager::new(conn);
    let mut found = Vec::new();
    for table in TABLES {
        if manager.has_table(table).await.expect("look up table") {
            found.push(table);
        }
    }
    found
}

/// A timestamp with microseconds, which every backend stores exactly.
fn fixed_time() -> DateTimeUtc {
    DateTimeUtc::from_timestamp(1_893_456_000, 123_456_000).expect("valid timestamp")
}

fn assert_recent(ts: DateTimeUtc, what: &str, backend: Backend) {
    let age = (sea_orm::prelude::ChronoUtc::now() - ts)
        .num_seconds()
        .abs();
    assert!(
        age < 300,
        "{what} on {backend} should default to the current time (UTC), got {ts}"
    );
}

/// One row in every table, inserted through the entities, as the database returned them.
struct Fixture {
    product: products::Model,
    block: product_blocks::Model,
    child_block: product_blocks::Model,
    resource_type: resource_types::Model,
    fixed_input: fixed_inputs::Model,
    workflow: workflows::Model,
    subscription: subscriptions::Model,
    instance: subscription_instances::Model,
    child_instance: subscription_instances::Model,
    value: subscription_instance_values::Model,
    relation: subscription_instance_relations::Model,
    description: subscription_customer_descriptions::Model,
    metadata: subscription_metadata::Model,
    process: processes::Model,
    process_subscription: processes_subscriptions::Model,
}

/// Inserts a product with blocks, a resource type, a fixed input and a workflow, and a
/// subscription on it with two instances, a value, a relation, a customer description, metadata
/// and a process. Columns with database defaults are left out, so that the defaults are used.
async fn seed(conn: &DatabaseConnection) -> Result<Fixture, DbErr> {
    let product = products::ActiveModel {
        product_id: Set(Uuid::new_v4()),
        name: Set("User Group".into()),
        description: Set("A group of users".into()),
        product_type: Set("UserGroup".into()),
        tag: Set("GROUP".into()),
        status: Set("active".into()),
        end_date: Set(Some(fixed_time())),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let block = product_blocks::ActiveModel {
        product_block_id: Set(Uuid::new_v4()),
        name: Set("UserGroupBlock".into()),
        description: Set("The user group".into()),
        tag: Set(Some("UGB".into())),
        status: Set(Some("active".into())),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let child_block = product_blocks::ActiveModel {
        product_block_id: Set(Uuid::new_v4()),
        name: Set("UserBlock".into()),
        description: Set("A member".into()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let resource_type = resource_types::ActiveModel {
        resource_type_id: Set(Uuid::new_v4()),
        resource_type: Set("group_name".into()),
        description: Set(Some("Name of the group".into())),
    }
    .insert(conn)
    .await?;
    let fixed_input = fixed_inputs::ActiveModel {
        fixed_input_id: Set(Uuid::new_v4()),
        name: Set("affiliation".into()),
        value: Set("internal".into()),
        product_id: Set(product.product_id),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    product_product_blocks::ActiveModel {
        product_id: Set(product.product_id),
        product_block_id: Set(block.product_block_id),
    }
    .insert(conn)
    .await?;
    product_block_resource_types::ActiveModel {
        product_block_id: Set(block.product_block_id),
        resource_type_id: Set(resource_type.resource_type_id),
    }
    .insert(conn)
    .await?;
    product_block_relations::ActiveModel {
        in_use_by_id: Set(block.product_block_id),
        depends_on_id: Set(child_block.product_block_id),
        min: Set(Some(0)),
        max: Set(None),
    }
    .insert(conn)
    .await?;
    let workflow = workflows::ActiveModel {
        workflow_id: Set(Uuid::new_v4()),
        name: Set("create_user_group".into()),
        target: Set("CREATE".into()),
        description: Set("Create a user group".into()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    products_workflows::ActiveModel {
        product_id: Set(product.product_id),
        workflow_id: Set(workflow.workflow_id),
    }
    .insert(conn)
    .await?;
    let subscription = subscriptions::ActiveModel {
        subscription_id: Set(Uuid::new_v4()),
        description: Set("Admins".into()),
        status: Set("initial".into()),
        product_id: Set(product.product_id),
        customer_id: Set("customer-1".into()),
        insync: Set(false),
        start_date: Set(Some(fixed_time())),
        end_date: Set(None),
        note: Set(Some("ünïcode ✓".into())),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let instance = subscription_instances::ActiveModel {
        subscription_instance_id: Set(Uuid::new_v4()),
        subscription_id: Set(subscription.subscription_id),
        product_block_id: Set(block.product_block_id),
        label: Set(Some("root".into())),
    }
    .insert(conn)
    .await?;
    let child_instance = subscription_instances::ActiveModel {
        subscription_instance_id: Set(Uuid::new_v4()),
        subscription_id: Set(subscription.subscription_id),
        product_block_id: Set(child_block.product_block_id),
        label: Set(None),
    }
    .insert(conn)
    .await?;
    let value = subscription_instance_values::ActiveModel {
        subscription_instance_value_id: Set(Uuid::new_v4()),
        subscription_instance_id: Set(instance.subscription_instance_id),
        resource_type_id: Set(resource_type.resource_type_id),
        value: Set("admins".into()),
    }
    .insert(conn)
    .await?;
    let relation = subscription_instance_relations::ActiveModel {
        in_use_by_id: Set(instance.subscription_instance_id),
        depends_on_id: Set(child_instance.subscription_instance_id),
        order_id: Set(0),
        domain_model_attr: Set(Some("users".into())),
    }
    .insert(conn)
    .await?;
    let description = subscription_customer_descriptions::ActiveModel {
        id: Set(Uuid::new_v4()),
        subscription_id: Set(subscription.subscription_id),
        customer_id: Set("customer-1".into()),
        description: Set("Our admins".into()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let metadata = subscription_metadata::ActiveModel {
        subscription_id: Set(subscription.subscription_id),
        metadata: Set(serde_json::json!({"ticket": "T-1", "tags": ["a", "b"], "n": 1})),
    }
    .insert(conn)
    .await?;
    let process = processes::ActiveModel {
        pid: Set(Uuid::new_v4()),
        last_status: Set("completed".into()),
        last_step: Set(Some("Done".into())),
        failed_reason: Set(None),
        // longer than MySQL's varchar row budget allows: `text` on MariaDB
        traceback: Set(Some("x".repeat(20_000))),
        workflow_id: Set(workflow.workflow_id),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let process_subscription = processes_subscriptions::ActiveModel {
        id: Set(Uuid::new_v4()),
        pid: Set(process.pid),
        subscription_id: Set(subscription.subscription_id),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(Fixture {
        product,
        block,
        child_block,
        resource_type,
        fixed_input,
        workflow,
        subscription,
        instance,
        child_instance,
        value,
        relation,
        description,
        metadata,
        process,
        process_subscription,
    })
}

async fn up_creates_every_table_and_down_removes_them(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let migrator = Migrator::core_only();
    assert!(existing_tables(&db.conn).await.is_empty());
    migrator.up(&db.conn, None).await.expect("up");
    assert_eq!(
        existing_tables(&db.conn).await,
        TABLES,
        "after up on {backend}"
    );
    assert!(
        migrator
            .get_pending_migrations(&db.conn)
            .await
            .unwrap()
            .is_empty(),
        "the core migration is recorded as applied"
    );

    migrator.down(&db.conn, None).await.expect("down");
    assert_eq!(
        existing_tables(&db.conn).await,
        Vec::<&str>::new(),
        "after down on {backend}"
    );
    if backend == Backend::Postgres {
        let function = db
            .conn
            .query_one_raw(Statement::from_string(
                db.conn.get_database_backend(),
                "SELECT 1 FROM pg_proc WHERE proname = 'increment_version'",
            ))
            .await
            .unwrap();
        assert!(function.is_none(), "down drops increment_version()");
    }

    // down left nothing behind that would make a second up fail (triggers, function, indexes)
    migrator.up(&db.conn, None).await.expect("up after down");
    assert_eq!(existing_tables(&db.conn).await, TABLES);
    seed(&db.conn).await.expect("seed after up, down, up");
    migrator.reset(&db.conn).await.expect("reset");
    assert!(existing_tables(&db.conn).await.is_empty());
}

async fn entities_round_trip(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let conn = &db.conn;
    let f = seed(conn)
        .await
        .unwrap_or_else(|e| panic!("insert through the entities on {backend}: {e}"));

    // Every row reads back as it was returned by the insert.
    macro_rules! reads_back {
        ($entity:ty, $id:expr, $model:expr) => {
            assert_eq!(
                <$entity>::find_by_id($id).one(conn).await.unwrap().as_ref(),
                Some(&$model),
                "{} on {backend}",
                stringify!($entity)
            );
        };
    }
    reads_back!(products::Entity, f.product.product_id, f.product);
    reads_back!(product_blocks::Entity, f.block.product_block_id, f.block);
    reads_back!(
        product_blocks::Entity,
        f.child_block.product_block_id,
        f.child_block
    );
    reads_back!(
        resource_types::Entity,
        f.resource_type.resource_type_id,
        f.resource_type
    );
    reads_back!(
        fixed_inputs::Entity,
        f.fixed_input.fixed_input_id,
        f.fixed_input
    );
    reads_back!(workflows::Entity, f.workflow.workflow_id, f.workflow);
    reads_back!(
        subscriptions::Entity,
        f.subscription.subscription_id,
        f.subscription
    );
    reads_back!(
        subscription_instances::Entity,
        f.instance.subscription_instance_id,
        f.instance
    );
    reads_back!(
        subscription_instance_values::Entity,
        f.value.subscription_instance_value_id,
        f.value
    );
    reads_back!(
        subscription_instance_relations::Entity,
        (
            f.relation.in_use_by_id,
            f.relation.depends_on_id,
            f.relation.order_id
        ),
        f.relation
    );
    reads_back!(
        subscription_customer_descriptions::Entity,
        f.description.id,
        f.description
    );
    reads_back!(
        subscription_metadata::Entity,
        f.metadata.subscription_id,
        f.metadata
    );
    reads_back!(processes::Entity, f.process.pid, f.process);
    reads_back!(
        processes_subscriptions::Entity,
        f.process_subscription.id,
        f.process_subscription
    );

    // Values given by the application come back unchanged, including microseconds and JSON.
    assert_eq!(f.product.end_date, Some(fixed_time()));
    assert_eq!(f.subscription.start_date, Some(fixed_time()));
    assert_eq!(f.subscription.note.as_deref(), Some("ünïcode ✓"));
    assert_eq!(f.metadata.metadata["tags"][1], "b");
    assert_eq!(f.process.traceback.as_ref().map(String::len), Some(20_000));

    // Columns left out got the database defaults.
    assert_recent(f.product.created_at, "products.created_at", backend);
    assert_recent(f.block.created_at, "product_blocks.created_at", backend);
    assert_recent(f.fixed_input.created_at, "fixed_inputs.created_at", backend);
    assert_recent(f.workflow.created_at, "workflows.created_at", backend);
    assert_recent(f.description.created_at, "descriptions.created_at", backend);
    assert_recent(f.process.started_at, "processes.started_at", backend);
    assert_recent(f.process.last_modified_at, "last_modified_at", backend);
    assert_recent(f.process_subscription.created_at, "created_at", backend);
    assert!(!f.workflow.is_task);
    assert!(!f.process.is_task);
    assert_eq!(f.process.assignee, "SYSTEM");
    assert_eq!(f.subscription.version, 1);
    assert_eq!(f.description.version, 1);
    assert_eq!(
        f.process_subscription.workflow_target.as_deref(),
        Some("CREATE")
    );

    // The relations, including the many-to-many ones through the link tables.
    let root_blocks = f
        .product
        .find_related(product_blocks::Entity)
        .all(conn)
        .await
        .unwrap();
    assert_eq!(root_blocks, std::slice::from_ref(&f.block));
    let block_types = f
        .block
        .find_related(resource_types::Entity)
        .all(conn)
        .await
        .unwrap();
    assert_eq!(block_types, std::slice::from_ref(&f.resource_type));
    let product_workflows = f
        .product
        .find_related(workflows::Entity)
        .all(conn)
        .await
        .unwrap();
    assert_eq!(product_workflows, std::slice::from_ref(&f.workflow));
    let instances = f
        .subscription
        .find_related(subscription_instances::Entity)
        .all(conn)
        .await
        .unwrap();
    assert_eq!(instances.len(), 2);
    let subscription_processes = f
        .subscription
        .find_related(processes::Entity)
        .all(conn)
        .await
        .unwrap();
    assert_eq!(subscription_processes, std::slice::from_ref(&f.process));
    // Two foreign keys to the same table: there is no `Related` impl, join through the relation
    // that says which side to follow.
    let children = subscription_instances::Entity::find()
        .join(
            JoinType::InnerJoin,
            subscription_instances::Relation::RelationsAsDependsOn.def(),
        )
        .filter(
            subscription_instance_relations::Column::InUseById
                .eq(f.instance.subscription_instance_id),
        )
        .all(conn)
        .await
        .unwrap();
    assert_eq!(children, std::slice::from_ref(&f.child_instance));
}

async fn on_delete_rules_match_orchestrator_core(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let conn = &db.conn;
    let f = seed(conn).await.expect("seed");
    let blocked = |result: Result<sea_orm::DeleteResult, DbErr>, what: &str| match result {
        Err(e) => assert!(
            matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))),
            "deleting {what} on {backend} should violate a foreign key, got {e}"
        ),
        Ok(r) => panic!("deleting {what} on {backend} should be blocked, deleted {r:?}"),
    };

    // Rows still in use cannot be deleted.
    blocked(
        f.product.clone().delete(conn).await,
        "a product with a subscription",
    );
    blocked(
        f.block.clone().delete(conn).await,
        "a product block with instances",
    );
    blocked(
        f.resource_type.clone().delete(conn).await,
        "a resource type with values",
    );
    blocked(
        f.workflow.clone().delete(conn).await,
        "a workflow with processes",
    );
    blocked(
        f.subscription.clone().delete(conn).await,
        "a subscription with processes",
    );

    // Deleting a process deletes its links to subscriptions, which frees the subscription.
    f.process
        .clone()
        .delete(conn)
        .await
        .expect("delete process");
    assert_eq!(
        processes_subscriptions::Entity::find()
            .count(conn)
            .await
            .unwrap(),
        0
    );

    // Deleting a subscription deletes its instances, their values and relations, its customer
    // descriptions and its metadata.
    f.subscription
        .clone()
        .delete(conn)
        .await
        .expect("delete subscription");
    assert_eq!(
        subscription_instances::Entity::find()
            .count(conn)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        subscription_instance_values::Entity::find()
            .count(conn)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        subscription_instance_relations::Entity::find()
            .count(conn)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        subscription_customer_descriptions::Entity::find()
            .count(conn)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        subscription_metadata::Entity::find()
            .count(conn)
            .await
            .unwrap(),
        0
    );

    // Now the product can go, and takes its fixed inputs and links along; the blocks and
    // workflows it was linked to stay.
    f.product
        .clone()
        .delete(conn)
        .await
        .expect("delete product");
    assert_eq!(fixed_inputs::Entity::find().count(conn).await.unwrap(), 0);
    assert_eq!(
        product_product_blocks::Entity::find()
            .count(conn)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        products_workflows::Entity::find()
            .count(conn)
            .await
            .unwrap(),
        0
    );
    assert_eq!(product_blocks::Entity::find().count(conn).await.unwrap(), 2);
    assert_eq!(workflows::Entity::find().count(conn).await.unwrap(), 1);

    // Deleting a block deletes its relations (on both sides) and resource type links.
    f.child_block
        .clone()
        .delete(conn)
        .await
        .expect("delete child block");
    assert_eq!(
        product_block_relations::Entity::find()
            .count(conn)
            .await
            .unwrap(),
        0
    );
    f.resource_type
        .clone()
        .delete(conn)
        .await
        .expect("delete resource type");
    assert_eq!(
        product_block_resource_types::Entity::find()
            .count(conn)
            .await
            .unwrap(),
        0
    );
}

async fn version_goes_up_by_one_per_update(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let conn = &db.conn;
    let f = seed(conn).await.expect("seed");
    let version = |id: Uuid| async move {
        subscriptions::Entity::find_by_id(id)
            .one(conn)
            .await
            .unwrap()
            .expect("subscription")
            .version
    };
    let id = f.subscription.subscription_id;
    assert_eq!(version(id).await, 1);

    // One UPDATE of some columns: 1 -> 2, also in the model sea-orm returns.
    let mut active = f.subscription.clone().into_active_model();
    active.status = Set("active".into());
    let updated = active.update(conn).await.expect("update");
    assert_eq!(updated.version, 2, "returned by update on {backend}");
    assert_eq!(version(id).await, 2, "stored on {backend}");

    // An UPDATE that writes every column, version included with its old value: 2 -> 3.
    let all = updated.into_active_model().reset_all();
    let updated = all.update(conn).await.expect("update all columns");
    assert_eq!(version(id).await, 3, "after a full-row update on {backend}");
    assert_eq!(updated.version, 3);

    // An UPDATE of several rows bumps each row once.
    let second = subscriptions::ActiveModel {
        subscription_id: Set(Uuid::new_v4()),
        description: Set("Second".into()),
        status: Set("initial".into()),
        product_id: Set(f.product.product_id),
        customer_id: Set("customer-2".into()),
        insync: Set(false),
        ..Default::default()
    }
    .insert(conn)
    .await
    .expect("second subscription");
    let result = subscriptions::Entity::update_many()
        .col_expr(subscriptions::Column::Insync, true.into())
        .exec(conn)
        .await
        .expect("update_many");
    assert_eq!(result.rows_affected, 2);
    assert_eq!(version(id).await, 4);
    assert_eq!(version(second.subscription_id).await, 2);

    // An UPDATE that matches no row changes nothing.
    subscriptions::Entity::update_many()
        .col_expr(subscriptions::Column::Insync, false.into())
        .filter(subscriptions::Column::CustomerId.eq("nobody"))
        .exec(conn)
        .await
        .expect("update nothing");
    assert_eq!(version(id).await, 4);

    // Customer descriptions have the same trigger.
    let mut description = f.description.clone().into_active_model();
    description.description = Set("Our administrators".into());
    description.update(conn).await.expect("update description");
    let stored = subscription_customer_descriptions::Entity::find_by_id(f.description.id)
        .one(conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 2, "description version on {backend}");
}

async fn unique_constraints_reject_duplicates(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let conn = &db.conn;
    let f = seed(conn).await.expect("seed");
    let rejected = |result: Result<(), DbErr>, what: &str| match result {
        Err(e) => assert!(
            matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
            "{what} on {backend} should violate a unique constraint, got {e}"
        ),
        Ok(()) => panic!("{what} on {backend} should be rejected"),
    };

    let mut product = f.product.clone().into_active_model().reset_all();
    product.product_id = Set(Uuid::new_v4());
    rejected(
        product.insert(conn).await.map(drop),
        "a second product with the same name",
    );

    // Names are compared exactly (PostgreSQL semantics, utf8mb4_bin on MariaDB).
    let mut product = f.product.clone().into_active_model().reset_all();
    product.product_id = Set(Uuid::new_v4());
    product.name = Set(f.product.name.to_uppercase());
    product
        .insert(conn)
        .await
        .unwrap_or_else(|e| panic!("names differing in case are distinct on {backend}: {e}"));

    let mut fixed_input = f.fixed_input.clone().into_active_model().reset_all();
    fixed_input.fixed_input_id = Set(Uuid::new_v4());
    rejected(
        fixed_input.insert(conn).await.map(drop),
        "a second fixed input with the same name on the same product",
    );

    let mut description = f.description.clone().into_active_model().reset_all();
    description.id = Set(Uuid::new_v4());
    rejected(
        description.insert(conn).await.map(drop),
        "a second description by the same customer",
    );

    rejected(
        product_block_relations::ActiveModel {
            in_use_by_id: Set(f.block.product_block_id),
            depends_on_id: Set(f.child_block.product_block_id),
            min: Set(None),
            max: Set(None),
        }
        .insert(conn)
        .await
        .map(drop),
        "a second relation between the same blocks",
    );
}

/// The column types each backend ends up with, as documented in the core schema migration.
async fn column_types_follow_the_documented_mapping(backend: Backend) {
    let Some(db) = migrated(backend).await else {
        return;
    };
    let conn = &db.conn;
    // (table, column, PostgreSQL, SQLite, MariaDB)
    let expected = [
        ("products", "product_id", "uuid", "uuid_text", "binary(16)"),
        (
            "products",
            "name",
            "character varying",
            "varchar",
            "varchar(255)",
        ),
        (
            "products",
            "description",
            "character varying(2000)",
            "varchar(2000)",
            "varchar(2000)",
        ),
        (
            "products",
            "created_at",
            "timestamp with time zone",
            "timestamp_with_timezone_text",
            "datetime(6)",
        ),
        (
            "fixed_inputs",
            "value",
            "character varying",
            "varchar",
            "text",
        ),
        (
            "workflows",
            "target",
            "character varying",
            "varchar",
            "text",
        ),
        ("workflows", "is_task", "boolean", "boolean", "tinyint(1)"),
        (
            "processes",
            "failed_reason",
            "character varying(10000)",
            "varchar(10000)",
            "text",
        ),
        (
            "processes",
            "traceback",
            "character varying(50000)",
            "varchar(50000)",
            "text",
        ),
        (
            "subscription_instance_values",
            "value",
            "character varying(10000)",
            "varchar(10000)",
            "varchar(10000)",
        ),
        (
            "subscriptions",
            "customer_id",
            "character varying",
            "varchar",
            "varchar(255)",
        ),
        // SQLite reports the declared type `integer` as `INTEGER`
        ("subscriptions", "version", "integer", "INTEGER", "int(11)"),
        (
            "subscription_metadata",
            "metadata",
            "jsonb",
            "jsonb_text",
            "longtext",
        ),
    ];
    for (table, column, pg, sqlite, mysql) in expected {
        let sql = match backend {
            Backend::Postgres => format!(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
                 WHERE attrelid = '{table}'::regclass AND attname = '{column}'"
            ),
            Backend::Sqlite => {
                format!("SELECT type FROM pragma_table_info('{table}') WHERE name = '{column}'")
            }
            Backend::MySql => format!(
                "SELECT CAST(COLUMN_TYPE AS CHAR) FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' \
                 AND COLUMN_NAME = '{column}'"
            ),
        };
        let row = conn
            .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{table}.{column} is missing on {backend}"));
        let actual: String = row.try_get_by_index(0).unwrap();
        let expected = match backend {
            Backend::Postgres => pg,
            Backend::Sqlite => sqlite,
            Backend::MySql => mysql,
        };
        assert_eq!(actual, expected, "type of {table}.{column} on {backend}");
    }

    if backend == Backend::MySql {
        let rows = conn
            .query_all_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT CAST(CONCAT(TABLE_NAME, ' ', ENGINE, ' ', TABLE_COLLATION) AS CHAR) \
                 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
                 AND TABLE_NAME <> 'seaql_migrations'",
            ))
            .await
            .unwrap();
        let mut tables: Vec<String> = rows
            .iter()
            .map(|r| r.try_get_by_index(0).unwrap())
            .collect();
        tables.sort();
        let mut expected: Vec<String> = TABLES
            .iter()
            .map(|t| format!("{t} InnoDB utf8mb4_bin"))
            .collect();
        expected.sort();
        assert_eq!(tables, expected, "engine and collation of every table");
    }
}

tests::per_backend!(
    up_creates_every_table_and_down_removes_them,
    entities_round_trip,
    on_delete_rules_match_orchestrator_core,
    version_goes_up_by_one_per_update,
    unique_constraints_reject_duplicates,
    column_types_follow_the_documented_mapping,
);

/// On SQLite the default timestamps have the form sea-orm writes (RFC 3339 in UTC), so that rows
/// filled in by the default and rows written by the application sort together.
#[tokio::test]
async fn sqlite_default_timestamps_look_like_written_ones() {
    let db = migrated(Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let conn = &db.conn;
    let f = seed(conn).await.expect("seed");
    let mut later = f.workflow.clone().into_active_model().reset_all();
    later.workflow_id = Set(Uuid::new_v4());
    later.name = Set("later".into());
    later.created_at = Set(DateTimeUtc::from_timestamp_micros(
        f.workflow.created_at.timestamp_micros() + 1_000,
    )
    .expect("valid timestamp"));
    later
        .insert(conn)
        .await
        .expect("insert with explicit created_at");

    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT name, created_at FROM workflows ORDER BY created_at",
        ))
        .await
        .unwrap();
    let rows: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 2);
    for (name, text) in &rows {
        assert!(
            text.len() >= 25 && text.as_bytes()[10] == b'T' && text.ends_with("+00:00"),
            "created_at of {name} is {text}, not RFC 3339 in UTC"
        );
    }
    assert_eq!(
        rows[0].0, "create_user_group",
        "text order is time order: {rows:?}"
    );
    assert_eq!(rows[1].0, "later");
}

/// Introspects the 17 tables of a PostgreSQL database into sorted, readable lines: columns with
/// position, type, length, nullability and default; constraints (primary keys, unique, foreign
/// keys with their ON DELETE rules); indexes; triggers; and the trigger function.
async fn introspect_postgres(conn: &DatabaseConnection, tables: &[String]) -> BTreeSet<String> {
    let list = tables
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let queries = [
        format!(
            "SELECT format('table %s: relkind=%s persistence=%s', c.relname, c.relkind, c.relpersistence)
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relname IN ({list})"
        ),
        format!(
            "SELECT format('column %s.%s: #%s %s%s%s %s%s%s%s',
                    table_name, column_name, ordinal_position, data_type,
                    '(' || character_maximum_length || ')',
                    CASE WHEN data_type LIKE 'timestamp%' THEN '(' || datetime_precision || ')' END,
                    CASE is_nullable WHEN 'YES' THEN 'NULL' ELSE 'NOT NULL' END,
                    ' DEFAULT ' || column_default,
                    ' COLLATE ' || collation_name,
                    CASE WHEN is_identity = 'YES' OR is_generated <> 'NEVER'
                         THEN ' GENERATED ' || coalesce(generation_expression, 'AS IDENTITY') END)
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name IN ({list})"
        ),
        format!(
            "SELECT format('constraint %s.%s: %s', t.relname, c.conname, pg_get_constraintdef(c.oid))
             FROM pg_constraint c
             JOIN pg_class t ON t.oid = c.conrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE n.nspname = current_schema() AND t.relname IN ({list})"
        ),
        format!(
            "SELECT format('index %s.%s: %s', tablename, indexname, indexdef)
             FROM pg_indexes
             WHERE schemaname = current_schema() AND tablename IN ({list})"
        ),
        format!(
            "SELECT format('trigger %s.%s: %s (enabled=%s)', c.relname, t.tgname,
                           pg_get_triggerdef(t.oid), t.tgenabled)
             FROM pg_trigger t
             JOIN pg_class c ON c.oid = t.tgrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE NOT t.tgisinternal AND n.nspname = current_schema() AND c.relname IN ({list})"
        ),
        // the functions of the schema that no extension owns, with their whitespace-normalized
        // bodies
        "SELECT format('function %s(%s) returns %s language %s: %s',
                    p.proname, pg_get_function_identity_arguments(p.oid),
                    pg_get_function_result(p.oid), l.lanname,
                    btrim(regexp_replace(p.prosrc, '\\s+', ' ', 'g')))
         FROM pg_proc p
         JOIN pg_namespace n ON n.oid = p.pronamespace
         JOIN pg_language l ON l.oid = p.prolang
         WHERE n.nspname = current_schema()
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                           WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                             AND d.deptype = 'e')"
            .to_owned(),
        "SELECT format('extension %s', extname) FROM pg_extension WHERE extname <> 'plpgsql'"
            .to_owned(),
    ];
    let mut lines = BTreeSet::new();
    for sql in queries {
        let rows = conn
            .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .expect("introspection query");
        for row in rows {
            lines.insert(row.try_get_by_index::<String>(0).expect("one text column"));
        }
    }
    lines
}

/// The names of the tables the reference SQL creates.
fn reference_tables() -> Vec<String> {
    REFERENCE_SQL
        .lines()
        .filter_map(|line| line.strip_prefix("CREATE TABLE public."))
        .map(|rest| rest.trim_end_matches(" (").trim().to_owned())
        .collect()
}

/// The migration creates exactly orchestrator-core's schema for the shared tables: the reference
/// SQL is loaded into one fresh database, the migration run on another, both are introspected
/// with the same queries, and any difference fails the test with a readable list.
#[tokio::test]
async fn postgres_schema_matches_orchestrator_core() {
    let tables = reference_tables();
    let mut sorted_reference = tables.clone();
    sorted_reference.sort();
    let mut sorted_ours = TABLES.map(str::to_owned).to_vec();
    sorted_ours.sort();
    assert_eq!(
        sorted_reference, sorted_ours,
        "the reference and the migration cover the same tables"
    );

    let Some(reference) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    reference
        .conn
        .execute_unprepared(REFERENCE_SQL)
        .await
        .expect("load data/orchestrator-core-schema.sql");
    let Some(ours) = migrated(Backend::Postgres).await else {
        return;
    };

    let expected = introspect_postgres(&reference.conn, &tables).await;
    let actual = introspect_postgres(&ours.conn, &tables).await;

    // The expectation really describes the schema (so that an empty introspection cannot pass).
    let count = |prefix: &str| expected.iter().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count("table "), 17);
    assert_eq!(count("column "), 87);
    assert_eq!(count("trigger "), 2);
    assert_eq!(count("function increment_version()"), 1);
    assert_eq!(count("constraint "), 16 + 6 + 21);
    assert_eq!(count("index "), 16 + 6 + 22);

    // orch's one addition, its own migration (m20250101_000002)
    let mut expected = expected;
    expected.insert(
        "index subscription_instance_relations.ix_subscription_instance_relations_depends_on_id: \
         CREATE INDEX ix_subscription_instance_relations_depends_on_id ON \
         public.subscription_instance_relations USING btree (depends_on_id)"
            .to_owned(),
    );
    let missing: Vec<_> = expected.difference(&actual).collect();
    let unexpected: Vec<_> = actual.difference(&expected).collect();
    let mut report = String::new();
    for line in &missing {
        report.push_str(&format!("\n  - {line}"));
    }
    for line in &unexpected {
        report.push_str(&format!("\n  + {line}"));
    }
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "the migrated schema differs from orchestrator-core's \
         (- only in the reference, + only in the migration):{report}"
    );
}
