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
use crate::error::{ErrorCode, Result, SyncError};

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

/// `{prefix}-{type}-{id}`: the id the plugin gives what it creates in Chargebee, so a retried create
/// fails as a duplicate instead of making a twin. `max` is Chargebee's limit for that resource's ids.
pub(crate) fn deterministic_id(prefix: &str, record_type: &str, cp_id: &str, max: usize, resource: &str) -> Result<String> {
    let id = format!("{prefix}-{record_type}-{cp_id}");
    if id.chars().count() > max {
        return Err(SyncError::new(
            ErrorCode::TooLong,
            "/customerp/id",
            format!("/customerp/id: the Chargebee {resource} id {id:?} would be longer than {max} characters"),
        ));
    }
    if !cp_id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(SyncError::invalid_value(
            "/customerp/id",
            format!("{cp_id:?} cannot be part of a Chargebee {resource} id (only A-Z, a-z, 0-9, '-', '_', '.')"),
        ));
    }
    Ok(id)
}

/// Whether an address field is empty in the Chargebee record. An empty field that is empty there too
/// is left out of an address write: there is nothing to clear, and an empty `country` is not a
/// country code Chargebee would check.
pub(crate) fn empty_in(current: &serde_json::Value, address: &str, field: &str) -> bool {
    current.get(address).and_then(|a| a.get(field)).and_then(serde_json::Value::as_str).is_none_or(|s| s.trim().is_empty())
}
