use orch_core::FieldValue;

#[derive(Debug, Clone, PartialEq, FieldValue)]
pub enum Affiliation {
    Internal,
    External,
    #[value = "internal"]
    Staff,
}

fn main() {}
