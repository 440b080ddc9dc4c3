use orch_core::FieldValue;

#[derive(Debug, Clone, PartialEq, FieldValue)]
pub enum Speed {
    #[value = 1000]
    OneG,
    #[value = 10000]
    TenG,
    Auto,
}

fn main() {}
