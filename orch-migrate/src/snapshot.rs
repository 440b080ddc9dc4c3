//! Reading what the database holds into a [`Catalog`], with counts of subscriptions, instances
//! and values, in a fixed number of queries whatever the size of the database.

use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement};

use crate::catalog::{Block, Catalog, FixedInput, Product, Relation, ResourceType};

/// The queries of a snapshot, in the order they run. Plain SQL that is the same on SQLite,
/// PostgreSQL and MariaDB, with no parameters.
pub const QUERIES: [&str; 12] = [
    "SELECT name, product_type, description, tag, status FROM products",
    "SELECT p.name AS product, f.name AS name, f.value AS value \
     FROM fixed_inputs f JOIN products p ON p.product_id = f.product_id",
    "SELECT name, description, tag, status FROM product_blocks",
    "SELECT resource_type, description FROM resource_types",
    "SELECT p.name AS product, b.name AS block FROM product_product_blocks x \
     JOIN products p ON p.product_id = x.product_id \
     JOIN product_blocks b ON b.product_block_id = x.product_block_id",
    "SELECT a.name AS parent, b.name AS child, r.min AS min, r.max AS max \
     FROM product_block_relations r \
     JOIN product_blocks a ON a.product_block_id = r.in_use_by_id \
     JOIN product_blocks b ON b.product_block_id = r.depends_on_id",
    "SELECT b.name AS block, t.resource_type AS resource_type FROM product_block_resource_types x \
     JOIN product_blocks b ON b.product_block_id = x.product_block_id \
     JOIN resource_types t ON t.resource_type_id = x.resource_type_id",
    "SELECT p.name AS name, COUNT(*) AS n FROM subscriptions s \
     JOIN products p ON p.product_id = s.product_id GROUP BY p.name",
    "SELECT b.name AS name, COUNT(*) AS n FROM subscription_instances i \
     JOIN product_blocks b ON b.product_block_id = i.product_block_id GROUP BY b.name",
    "SELECT b.name AS block, t.resource_type AS resource_type, COUNT(*) AS n \
     FROM subscription_instance_values v \
     JOIN subscription_instances i ON i.subscription_instance_id = v.subscription_instance_id \
     JOIN product_blocks b ON b.product_block_id = i.product_block_id \
     JOIN resource_types t ON t.resource_type_id = v.resource_type_id \
     GROUP BY b.name, t.resource_type",
    "SELECT t.resource_type AS name, COUNT(*) AS n FROM subscription_instance_values v \
     JOIN resource_types t ON t.resource_type_id = v.resource_type_id GROUP BY t.resource_type",
    "SELECT b.name AS block, r.domain_model_attr AS attr, COUNT(*) AS n \
     FROM subscription_instance_relations r \
     JOIN subscription_instances i ON i.subscription_instance_id = r.in_use_by_id \
     JOIN product_blocks b ON b.product_block_id = i.product_block_id \
     WHERE r.domain_model_attr IS NOT NULL GROUP BY b.name, r.domain_model_attr",
];

async fn rows<C: ConnectionTrait>(db: &C, i: usize) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        QUERIES[i],
    ))
    .await
}

fn s(row: &QueryResult, col: &str) -> Result<String, DbErr> {
    row.try_get::<String>("", col)
}

fn opt(row: &QueryResult, col: &str) -> Result<Option<String>, DbErr> {
    row.try_get::<Option<String>>("", col)
}

fn n(row: &QueryResult) -> Result<u64, DbErr> {
    Ok(row.try_get::<i64>("", "n")?.max(0) as u64)
}

/// Reads the metadata tables and the counts of the subscription tables.
pub async fn snapshot<C: ConnectionTrait>(db: &C) -> Result<Catalog, DbErr> {
    let mut c = Catalog::default();
    for row in rows(db, 0).await? {
        c.products.insert(
            s(&row, "name")?,
            Product {
                product_type: s(&row, "product_type")?,
                description: opt(&row, "description")?,
                tag: opt(&row, "tag")?,
                status: opt(&row, "status")?,
                ..Product::default()
            },
        );
    }
    for row in rows(db, 1).await? {
        if let Some(p) = c.products.get_mut(&s(&row, "product")?) {
            p.fixed_inputs.insert(
                s(&row, "name")?,
                FixedInput {
                    value: opt(&row, "value")?,
                    ..FixedInput::default()
                },
            );
        }
    }
    for row in rows(db, 2).await? {
        c.blocks.insert(
            s(&row, "name")?,
            Block {
                description: opt(&row, "description")?,
                tag: opt(&row, "tag")?,
                status: opt(&row, "status")?,
                ..Block::default()
            },
        );
    }
    for row in rows(db, 3).await? {
        c.resource_types.insert(
            s(&row, "resource_type")?,
            ResourceType {
                description: opt(&row, "description")?,
                values: 0,
            },
        );
    }
    for row in rows(db, 4).await? {
        if let Some(p) = c.products.get_mut(&s(&row, "product")?) {
            p.blocks.insert(s(&row, "block")?);
        }
    }
    for row in rows(db, 5).await? {
        if let Some(b) = c.blocks.get_mut(&s(&row, "parent")?) {
            b.depends_on.insert(
                s(&row, "child")?,
                Relation {
                    min: row.try_get::<Option<i32>>("", "min")?,
                    max: row.try_get::<Option<i32>>("", "max")?,
                },
            );
        }
    }
    for row in rows(db, 6).await? {
        if let Some(b) = c.blocks.get_mut(&s(&row, "block")?) {
            b.resource_types
                .insert(s(&row, "resource_type")?, Default::default());
        }
    }
    for row in rows(db, 7).await? {
        if let Some(p) = c.products.get_mut(&s(&row, "name")?) {
            p.subscriptions = n(&row)?;
        }
    }
    for row in rows(db, 8).await? {
        if let Some(b) = c.blocks.get_mut(&s(&row, "name")?) {
            b.instances = n(&row)?;
        }
    }
    for row in rows(db, 9).await? {
        if let Some(b) = c.blocks.get_mut(&s(&row, "block")?) {
            // values of a resource type the block no longer links are still counted, so that
            // removing them is confirmed
            b.resource_types
                .entry(s(&row, "resource_type")?)
                .or_default()
                .values = n(&row)?;
        }
    }
    for row in rows(db, 10).await? {
        if let Some(r) = c.resource_types.get_mut(&s(&row, "name")?) {
            r.values = n(&row)?;
        }
    }
    for row in rows(db, 11).await? {
        if let Some(b) = c.blocks.get_mut(&s(&row, "block")?) {
            b.relation_attributes.insert(s(&row, "attr")?, n(&row)?);
        }
    }
    Ok(c)
}
