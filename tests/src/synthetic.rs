//! The synthetic catalogues of the scale benchmarks, built at run time as descriptors.

use orch_core::{
    BlockDescriptor, BlockRef, Cardinality, FieldDescriptor, FieldShape, ProductTypeDescriptor,
    RegisteredProduct, Registry, Target,
};
use orch_migrate::answers::Answer;
use orch_migrate::questions::{Kind, Prompter, Question};

fn text(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn block(
    name: String,
    seed: usize,
    rts: usize,
    children: &[&'static BlockDescriptor],
) -> &'static BlockDescriptor {
    let mut fields: Vec<FieldDescriptor> = Vec::new();
    for m in 0..rts {
        let name = text(format!("rt{:03}", (seed * 13 + m * 7) % 300));
        if fields.iter().all(|f| f.name != name) {
            fields.push(FieldDescriptor::new(name, FieldShape::value::<String>()));
        }
    }
    for (j, child) in children.iter().enumerate() {
        let members: &'static [BlockRef] = Box::leak(Box::new([BlockRef::to(child)]));
        fields.push(FieldDescriptor::new(
            text(format!("child{j}")),
            FieldShape {
                cardinality: Cardinality::One,
                target: Target::Blocks {
                    union: None,
                    members,
                },
            },
        ));
    }
    Box::leak(Box::new(BlockDescriptor {
        name: text(name),
        rust_name: "Synthetic",
        module_path: "bench",
        fields: fields.leak(),
    }))
}

/// N products as descriptors, deterministic: product `i` has a root block `Block<i>` with
/// 3-6 resource types and one or two child blocks with 3-6 each, drawn from 300 shared
/// resource types, and one fixed input (`speed`). The same shape as
/// `scripts/synthetic-catalogue.sh` writes as source.
pub fn synthetic(n: usize) -> Registry {
    let products = (0..n).map(|i| {
        let children: Vec<&'static BlockDescriptor> = (0..1 + i % 2)
            .map(|j| {
                block(
                    format!("Block{i:05}c{j}"),
                    i * 3 + j + 1,
                    3 + (i + j) % 4,
                    &[],
                )
            })
            .collect();
        let root = block(format!("Block{i:05}"), i * 3, 3 + i % 4, &children);
        let members: &'static [BlockRef] = Box::leak(Box::new([BlockRef::to(root)]));
        let fields = vec![
            FieldDescriptor::new("speed", FieldShape::value::<String>()),
            FieldDescriptor::new(
                "root",
                FieldShape {
                    cardinality: Cardinality::One,
                    target: Target::Blocks {
                        union: None,
                        members,
                    },
                },
            ),
        ];
        let product_type: &'static ProductTypeDescriptor =
            Box::leak(Box::new(ProductTypeDescriptor {
                product_type: text(format!("Type{i:05}")),
                rust_name: "Synthetic",
                module_path: "bench",
                fields: fields.leak(),
            }));
        RegisteredProduct {
            name: text(format!("product {i:05}")),
            product_type,
            location: orch_core::registry::Location {
                file: file!(),
                line: line!(),
            },
        }
    });
    Registry::from_products(products).expect("valid synthetic registry")
}

/// Answers every question without a person: what `generate` asks of a synthetic catalogue.
pub struct Auto;

impl Prompter for Auto {
    fn ask(&mut self, q: &Question) -> anyhow::Result<Option<Answer>> {
        Ok(Some(match &q.kind {
            Kind::Description => Answer::Text(format!("description of {}", q.key)),
            Kind::Tag => Answer::Text("TAG".into()),
            Kind::Value(_) => Answer::Text("10G".into()),
            Kind::Rename(_) => Answer::Bool(false),
            Kind::Confirm => Answer::Bool(true),
            Kind::Status => Answer::Text("active".into()),
            Kind::OptionalValue(_) | Kind::Values(_) => return Ok(None),
        }))
    }
}
