use orch_core::product;

#[product(product_type = "Port")]
pub struct Port {
    pub speed: Option<i64>,
    pub vlans: Vec<u16>,
}

fn main() {}
