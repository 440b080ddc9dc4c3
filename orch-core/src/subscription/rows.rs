//! A subscription as rows: what `save` writes and `load` reads, independent of the Rust types.
//!
//! The typed models write themselves into [`Writer`] and read themselves from [`Graph`] through
//! [`Field::write_at`](crate::Field::write_at) and [`Field::read_at`](crate::Field::read_at); the
//! database code only ever sees rows.

use std::collections::{BTreeMap, HashMap, HashSet};

use uuid::Uuid;

use crate::descriptor::BlockDescriptor;
use crate::field::FieldShape;

/// A `subscription_instances` row that a subscription owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    /// `subscription_instance_id`.
    pub id: Uuid,
    /// The block's name (`product_blocks.name`).
    pub block: &'static str,
    /// `label`.
    pub label: Option<String>,
}

/// A `subscription_instance_values` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRow {
    /// The instance.
    pub instance: Uuid,
    /// The resource type's name.
    pub resource_type: &'static str,
    /// The stored value.
    pub value: String,
}

/// A `subscription_instance_relations` row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RelationRow {
    /// `in_use_by_id`: the parent instance.
    pub parent: Uuid,
    /// `domain_model_attr`: the parent's field.
    pub attribute: &'static str,
    /// `order_id`: the position within the field.
    pub order: i32,
    /// `depends_on_id`: the child instance.
    pub child: Uuid,
}

/// Everything one subscription's blocks write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    /// Owned instances, parents before children.
    pub instances: Vec<InstanceRow>,
    /// Values of owned instances, in field and list order.
    pub values: Vec<ValueRow>,
    /// Relations from owned instances (to owned or foreign children).
    pub relations: Vec<RelationRow>,
    /// Instances held by the product's root fields.
    pub roots: Vec<Uuid>,
    /// Blocks of other subscriptions that this one refers to: read-only here.
    pub foreign: Vec<Uuid>,
}

/// Where the writer is: at the subscription (root fields) or inside an instance.
#[derive(Debug, Clone, Copy)]
struct Position {
    parent: Option<Uuid>,
    attribute: &'static str,
    order: i32,
}

/// Where the writer was before a field or block began, handed back to end it.
#[derive(Debug)]
#[must_use = "the field or block must be left with it"]
pub struct Mark(Position);

/// Collects the rows of one subscription while its typed model writes itself.
#[derive(Debug)]
pub struct Writer {
    subscription: Uuid,
    rows: Rows,
    position: Position,
    owned: HashSet<Uuid>,
    errors: Vec<String>,
    path: Vec<String>,
}

impl Writer {
    /// A writer for the subscription `subscription`.
    pub fn new(subscription: Uuid) -> Self {
        Self {
            subscription,
            rows: Rows::default(),
            position: Position {
                parent: None,
                attribute: "",
                order: 0,
            },
            owned: HashSet::new(),
            errors: Vec::new(),
            path: Vec::new(),
        }
    }

    /// The rows, or every problem found (an owned instance used twice, a list outside its
    /// bounds).
    pub fn finish(self) -> Result<Rows, Vec<String>> {
        if self.errors.is_empty() {
            Ok(self.rows)
        } else {
            Err(self.errors)
        }
    }

    /// Starts the field `attribute` of the current instance (or a root field), until
    /// [`leave_field`](Self::leave_field) with the mark it returns. Generated code writes each
    /// field between the two, in line: a closure per field cost the compiler a body of its own
    /// to check.
    pub fn enter_field(&mut self, attribute: &'static str) -> Mark {
        let saved = self.position;
        self.position.attribute = attribute;
        self.position.order = 0;
        self.path.push(attribute.to_owned());
        Mark(saved)
    }

    /// Ends the field [`enter_field`](Self::enter_field) started.
    pub fn leave_field(&mut self, mark: Mark) {
        self.path.pop();
        self.position = mark.0;
    }

    /// Writes item `index` of the current list field: only the path of problems changes
    /// (`saps.1.port`).
    pub fn at(&mut self, index: usize, f: impl FnOnce(&mut Self)) {
        self.path.push(index.to_string());
        f(self);
        self.path.pop();
    }

    /// Records why the current field cannot be written (a list outside its bounds); `finish`
    /// then returns every such problem instead of rows.
    pub fn invalid(&mut self, message: impl std::fmt::Display) {
        self.errors
            .push(format!("{}: {message}", self.path.join(".")));
    }

    /// Writes one value of the current field.
    pub fn value(&mut self, value: String) {
        if let Some(instance) = self.position.parent {
            self.rows.values.push(ValueRow {
                instance,
                resource_type: self.position.attribute,
                value,
            });
        }
    }

    /// Starts one block of the current field: writes the relation to it, and returns `Some`
    /// with a mark for [`leave_block`](Self::leave_block) when this subscription owns it (or it
    /// is new), so that its instance is written and its fields are to be, or `None` when only
    /// the relation is.
    pub fn enter_block(
        &mut self,
        descriptor: &'static BlockDescriptor,
        id: Uuid,
        owner: Option<Uuid>,
        label: Option<&str>,
    ) -> Option<Mark> {
        match self.position.parent {
            Some(parent) => {
                self.rows.relations.push(RelationRow {
                    parent,
                    attribute: self.position.attribute,
                    order: self.position.order,
                    child: id,
                });
                self.position.order += 1;
            }
            None => self.rows.roots.push(id),
        }
        if owner.is_some_and(|o| o != self.subscription) {
            if self.position.parent.is_none() {
                self.errors.push(format!(
                    "{}: a block of another subscription cannot be a root block",
                    self.path.join(".")
                ));
            }
            self.rows.foreign.push(id);
            return None;
        }
        if !self.owned.insert(id) {
            self.errors.push(format!(
                "Cannot link the same subscription instance multiple times: instance {id} is used again at {}",
                self.path.join(".")
            ));
            return None;
        }
        self.rows.instances.push(InstanceRow {
            id,
            block: descriptor.name,
            label: label.map(str::to_owned),
        });
        let saved = self.position;
        self.position = Position {
            parent: Some(id),
            attribute: "",
            order: 0,
        };
        Some(Mark(saved))
    }

    /// Ends the block [`enter_block`](Self::enter_block) started.
    pub fn leave_block(&mut self, mark: Mark) {
        self.position = mark.0;
    }
}

/// A stored instance, as loaded.
#[derive(Debug, Clone, Default)]
pub struct StoredInstance {
    /// The block's name.
    pub block: String,
    /// The owning subscription.
    pub owner: Uuid,
    /// The label.
    pub label: Option<String>,
    /// Values by resource type, in the order they were saved.
    pub values: BTreeMap<String, Vec<String>>,
    /// Children by field, ordered by `order_id`.
    pub children: BTreeMap<String, Vec<Uuid>>,
}

/// The instances reachable from a set of subscriptions, with their values and relations.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Instances by id.
    pub instances: HashMap<Uuid, StoredInstance>,
}

/// One stored item of a field: a value or a block instance.
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    /// A stored value.
    Value(&'a str),
    /// A stored block instance.
    Block(Node<'a>),
}

/// A stored instance in a graph, for reading.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    /// The graph.
    pub graph: &'a Graph,
    /// The instance id.
    pub id: Uuid,
    /// The instance.
    pub instance: &'a StoredInstance,
}

impl<'a> Node<'a> {
    /// The stored items of field `name`: its values, or its child blocks.
    pub fn items(&self, name: &str) -> Vec<Item<'a>> {
        if let Some(values) = self.instance.values.get(name) {
            return values.iter().map(|v| Item::Value(v)).collect();
        }
        self.instance
            .children
            .get(name)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.graph.node(*id))
                    .map(Item::Block)
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Graph {
    /// The node of instance `id`, if loaded.
    pub fn node(&self, id: Uuid) -> Option<Node<'_>> {
        self.instances.get(&id).map(|instance| Node {
            graph: self,
            id,
            instance,
        })
    }
}

/// Collects read problems with the path of the field where they occur.
#[derive(Debug, Default)]
pub struct ReadCx {
    path: Vec<String>,
    errors: Vec<String>,
}

impl ReadCx {
    /// Runs `f` for field or index `segment`.
    pub fn at<R>(&mut self, segment: impl std::fmt::Display, f: impl FnOnce(&mut Self) -> R) -> R {
        self.enter(segment);
        let r = f(self);
        self.leave();
        r
    }

    /// Starts field or index `segment`, until [`leave`](Self::leave): `at` without a closure,
    /// for generated code.
    pub fn enter(&mut self, segment: impl std::fmt::Display) {
        self.path.push(segment.to_string());
    }

    /// Ends the segment [`enter`](Self::enter) started.
    pub fn leave(&mut self) {
        self.path.pop();
    }

    /// Records a problem at the current path.
    pub fn error(&mut self, message: impl std::fmt::Display) {
        let path = self.path.join(".");
        self.errors.push(if path.is_empty() {
            message.to_string()
        } else {
            format!("{path}: {message}")
        });
    }

    /// The problems found, in field order.
    pub fn into_errors(self) -> Vec<String> {
        self.errors
    }

    /// Whether anything went wrong.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Records that a field held something other than the expected block (generated code).
pub fn wrong_item(item: Item<'_>, expected: &str, cx: &mut ReadCx) {
    match item {
        Item::Block(node) => cx.error(format!(
            "expected an instance of block {expected}, found {}",
            node.instance.block
        )),
        Item::Value(v) => cx.error(format!(
            "expected an instance of block {expected}, found the value {v:?}"
        )),
    }
}

/// The stored items of a product's field: its fixed input's value, or the root instances of
/// the field's block types (generated code).
pub fn product_items<'a>(
    shape: FieldShape,
    name: &str,
    fixed_inputs: &'a BTreeMap<String, String>,
    roots: &[Node<'a>],
) -> Vec<Item<'a>> {
    if shape.target.is_block() {
        let names: Vec<&str> = shape.target.blocks().map(|b| b.name).collect();
        roots
            .iter()
            .filter(|n| names.contains(&n.instance.block.as_str()))
            .map(|n| Item::Block(*n))
            .collect()
    } else {
        fixed_inputs
            .get(name)
            .map(|v| Item::Value(v))
            .into_iter()
            .collect()
    }
}
