use orch_core::FieldValue;

#[derive(Debug, Clone, PartialEq, FieldValue)]
pub enum Speed {
    Gigabit,
    Custom(u32),
}

fn main() {}
