//! The six flows. Each file holds its table as it reads in `flows.md` plus its special rules.

mod contact_customer;
mod customer;
mod employee_customer;

use crate::engine::{unknown_flow, Flow, FlowId};
use crate::error::Result;

pub use contact_customer::ContactCustomer;
pub use employee_customer::EmployeeCustomer;

/// The flows this version implements, in dependency order (parents first).
pub fn all() -> Vec<&'static dyn Flow> {
    vec![&ContactCustomer, &EmployeeCustomer]
}

pub fn get(name: &str) -> Result<&'static dyn Flow> {
    let id = FlowId::parse(name).ok_or_else(|| unknown_flow(name, ""))?;
    all()
        .into_iter()
        .find(|f| f.id() == id)
        .ok_or_else(|| unknown_flow(name, ""))
}
