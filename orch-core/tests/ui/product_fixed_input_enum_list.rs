use orch_core::{FieldValue, product};

#[derive(Debug, Clone, PartialEq, FieldValue)]
pub enum Affiliation {
    Internal,
    External,
}

#[product(product_type = "User")]
pub struct User {
    // A fixed input has one value per product; a list of them is not a fixed input.
    pub affiliations: Vec<Affiliation>,
}

fn main() {}
