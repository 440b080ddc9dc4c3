//! Reading the metadata tables into the API's shapes with a fixed number of queries per request,
//! however many products there are: one query per table (or per link table joined with the
//! table it points to), then the rows are put together in memory.
//!
//! Lists are sorted by name, in Rust (by bytes), so that answers are the same on every backend
//! whatever its collation, and between runs.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::schema::{
    FixedInputSchema, ProductBlockSchema, ProductSchema, ResourceTypeSchema, WorkflowSchema,
};
use crate::entity::{
    fixed_inputs, product_block_relations, product_block_resource_types, product_blocks,
    product_product_blocks, products, products_workflows, resource_types, workflows,
};

/// Which products to read: all, one by id, or those with a tag and/or a product type (exact
/// matches, combined with AND, as orchestrator-core filters).
#[derive(Debug, Clone, Default)]
pub(crate) struct ProductFilter {
    pub(crate) product_id: Option<Uuid>,
    pub(crate) tag: Option<String>,
    pub(crate) product_type: Option<String>,
}

/// The products that pass `filter`, by name, each with its root blocks (and their resource
/// types), fixed inputs and non-deleted workflows. Five queries, four of them skipped when no
/// product matches.
pub(crate) async fn products(
    db: &DatabaseConnection,
    filter: &ProductFilter,
) -> Result<Vec<ProductSchema>, DbErr> {
    let mut query = products::Entity::find();
    if let Some(id) = filter.product_id {
        query = query.filter(products::Column::ProductId.eq(id));
    }
    if let Some(tag) = &filter.tag {
        query = query.filter(products::Column::Tag.eq(tag.as_str()));
    }
    if let Some(product_type) = &filter.product_type {
        query = query.filter(products::Column::ProductType.eq(product_type.as_str()));
    }
    let mut rows = query.all(db).await?;
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|p| p.product_id).collect();

    let links = product_product_blocks::Entity::find()
        .find_also_related(product_blocks::Entity)
        .filter(product_product_blocks::Column::ProductId.is_in(ids.clone()))
        .all(db)
        .await?;
    let block_ids: Vec<Uuid> = links.iter().map(|(l, _)| l.product_block_id).collect();
    let resource_types = if block_ids.is_empty() {
        HashMap::new()
    } else {
        resource_types_by_block(db, Some(block_ids)).await?
    };
    let mut blocks: HashMap<Uuid, Vec<ProductBlockSchema>> = HashMap::new();
    for (link, block) in links {
        let Some(block) = block else { continue };
        let mut block = ProductBlockSchema::from_row(block);
        block.resource_types = resource_types
            .get(&block.product_block_id)
            .cloned()
            .unwrap_or_default();
        blocks.entry(link.product_id).or_default().push(block);
    }

    let mut fixed: HashMap<Uuid, Vec<FixedInputSchema>> = HashMap::new();
    for f in fixed_inputs::Entity::find()
        .filter(fixed_inputs::Column::ProductId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        fixed
            .entry(f.product_id)
            .or_default()
            .push(FixedInputSchema::from_row(f));
    }

    let mut flows: HashMap<Uuid, Vec<WorkflowSchema>> = HashMap::new();
    for (link, workflow) in products_workflows::Entity::find()
        .find_also_related(workflows::Entity)
        .filter(products_workflows::Column::ProductId.is_in(ids))
        .filter(workflows::Column::DeletedAt.is_null())
        .all(db)
        .await?
    {
        if let Some(w) = workflow {
            flows
                .entry(link.product_id)
                .or_default()
                .push(WorkflowSchema::from_row(w));
        }
    }

    Ok(rows
        .into_iter()
        .map(|row| {
            let mut p = ProductSchema::from_row(row);
            p.product_blocks = blocks.remove(&p.product_id).unwrap_or_default();
            p.product_blocks.sort_by(|a, b| a.name.cmp(&b.name));
            p.fixed_inputs = fixed.remove(&p.product_id).unwrap_or_default();
            p.fixed_inputs.sort_by(|a, b| a.name.cmp(&b.name));
            p.workflows = flows.remove(&p.product_id).unwrap_or_default();
            p.workflows.sort_by(|a, b| a.name.cmp(&b.name));
            p
        })
        .collect())
}

/// All product blocks by name, or the one with `id`, each with its resource types. Two
/// queries.
pub(crate) async fn product_blocks(
    db: &DatabaseConnection,
    id: Option<Uuid>,
) -> Result<Vec<ProductBlockSchema>, DbErr> {
    let mut query = product_blocks::Entity::find();
    if let Some(id) = id {
        query = query.filter(product_blocks::Column::ProductBlockId.eq(id));
    }
    let mut rows = query.all(db).await?;
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut resource_types = resource_types_by_block(db, id.map(|id| vec![id])).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut b = ProductBlockSchema::from_row(row);
            b.resource_types = resource_types
                .remove(&b.product_block_id)
                .unwrap_or_default();
            b
        })
        .collect())
}

/// All resource types by name, or the one with `id`. One query.
pub(crate) async fn resource_types(
    db: &DatabaseConnection,
    id: Option<Uuid>,
) -> Result<Vec<ResourceTypeSchema>, DbErr> {
    let mut query = resource_types::Entity::find();
    if let Some(id) = id {
        query = query.filter(resource_types::Column::ResourceTypeId.eq(id));
    }
    let mut rows = query.all(db).await?;
    rows.sort_by(|a, b| a.resource_type.cmp(&b.resource_type));
    Ok(rows.into_iter().map(ResourceTypeSchema::from_row).collect())
}

/// The resource types of the blocks in `blocks` (all blocks when `None`), by block and then by
/// name. One query.
async fn resource_types_by_block(
    db: &DatabaseConnection,
    blocks: Option<Vec<Uuid>>,
) -> Result<HashMap<Uuid, Vec<ResourceTypeSchema>>, DbErr> {
    let mut query =
        product_block_resource_types::Entity::find().find_also_related(resource_types::Entity);
    if let Some(blocks) = blocks {
        query = query.filter(product_block_resource_types::Column::ProductBlockId.is_in(blocks));
    }
    let mut out: HashMap<Uuid, Vec<ResourceTypeSchema>> = HashMap::new();
    for (link, rt) in query.all(db).await? {
        if let Some(rt) = rt {
            out.entry(link.product_block_id)
                .or_default()
                .push(ResourceTypeSchema::from_row(rt));
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| a.resource_type.cmp(&b.resource_type));
    }
    Ok(out)
}

/// Everything the metadata pages show, read in nine queries: the products as the API lists
/// them, all blocks with their resource types, the block relations, and all resource types.
pub(crate) struct Catalog {
    pub(crate) products: Vec<ProductSchema>,
    pub(crate) blocks: Vec<ProductBlockSchema>,
    pub(crate) resource_types: Vec<ResourceTypeSchema>,
    /// `(in_use_by_id, depends_on_id)` pairs of `product_block_relations`.
    pub(crate) relations: Vec<(Uuid, Uuid)>,
}

impl Catalog {
    pub(crate) async fn load(db: &DatabaseConnection) -> Result<Catalog, DbErr> {
        let products = products(db, &ProductFilter::default()).await?;
        let blocks = product_blocks(db, None).await?;
        let relations = product_block_relations::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.in_use_by_id, r.depends_on_id))
            .collect();
        let resource_types = resource_types(db, None).await?;
        Ok(Catalog {
            products,
            blocks,
            resource_types,
            relations,
        })
    }

    /// Block names by id, for links.
    pub(crate) fn block_names(&self) -> BTreeMap<Uuid, &str> {
        self.blocks
            .iter()
            .map(|b| (b.product_block_id, b.name.as_str()))
            .collect()
    }
}
