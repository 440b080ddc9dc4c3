use std::collections::HashMap;

use orch_core::product_block;

pub struct Address {
    pub street: String,
}

#[product_block(name = "CustomerBlock")]
pub struct CustomerBlock {
    pub address: Address,
    pub tags: HashMap<String, String>,
}

fn main() {}
