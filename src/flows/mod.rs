//! The six flows. Each file holds its table as it reads in `flows.md` plus its special rules.

mod contact_customer;
mod customer;
mod customer_business_entity;
mod employee_customer;
mod order;
mod order_order;
mod product_item;
mod quote_order;

use crate::engine::{unknown_flow, Flow, FlowId};
use crate::error::Result;

pub use contact_customer::ContactCustomer;
pub use customer_business_entity::CustomerBusinessEntity;
pub use employee_customer::EmployeeCustomer;
pub use order_order::OrderOrder;
pub use product_item::ProductItem;
pub use quote_order::QuoteOrder;

/// The flows this version implements, in dependency order (parents first).
pub fn all() -> Vec<&'static dyn Flow> {
    vec![&CustomerBusinessEntity, &ProductItem, &ContactCustomer, &EmployeeCustomer, &QuoteOrder, &OrderOrder]
}

pub fn get(name: &str) -> Result<&'static dyn Flow> {
    Ok(match FlowId::parse(name).ok_or_else(|| unknown_flow(name, ""))? {
        FlowId::ContactCustomer => &ContactCustomer,
        FlowId::CustomerBusinessEntity => &CustomerBusinessEntity,
        FlowId::EmployeeCustomer => &EmployeeCustomer,
        FlowId::QuoteOrder => &QuoteOrder,
        FlowId::OrderOrder => &OrderOrder,
        FlowId::ProductItem => &ProductItem,
    })
}
