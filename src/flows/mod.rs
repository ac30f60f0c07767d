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

/// The fields of each Customerp record type in the record model (shared/spec/customerp-model.md).
/// A field outside it is still kept and ignored, with an `unknown_field` warning: most often a typo
/// (`emial`) that would otherwise make a record without its e-mail.
pub(crate) fn model_fields(flow: FlowId) -> &'static [&'static str] {
    match flow {
        FlowId::ContactCustomer => &[
            "id", "created", "updated", "deleted", "first_name", "last_name", "email", "phone", "mobile", "job_title", "language",
            "customer_id", "customer_name", "address", "is_active",
        ],
        FlowId::CustomerBusinessEntity => &[
            "id", "created", "updated", "deleted", "name", "organization_number", "vat_number", "email", "phone", "website", "currency",
            "payment_terms_days", "is_active", "address",
        ],
        FlowId::EmployeeCustomer => &[
            "id", "created", "updated", "deleted", "employee_number", "first_name", "last_name", "email", "phone", "job_title",
            "department", "address", "is_active",
        ],
        FlowId::ProductItem => &[
            "id", "created", "updated", "deleted", "sku", "name", "description", "unit", "kind", "price", "currency",
            "billing_period_unit", "billing_period", "vat_rate", "is_active",
        ],
        FlowId::QuoteOrder => &[
            "id", "created", "updated", "deleted", "number", "customer_id", "contact_id", "status", "currency", "quote_date",
            "valid_until", "lines", "delivery_address", "note", "reference", "total_net", "total_vat", "total",
        ],
        FlowId::OrderOrder => &[
            "id", "created", "updated", "deleted", "number", "quote_id", "customer_id", "contact_id", "status", "currency",
            "order_date", "delivery_date", "shipped_at", "delivered_at", "cancelled_at", "cancellation_reason", "tracking_number",
            "tracking_url", "carrier", "lines", "delivery_address", "note", "reference", "total_net", "total_vat", "total",
        ],
    }
}

/// Fields of an `address` and of a quote's or order's line.
pub(crate) const ADDRESS_FIELDS: [&str; 7] = ["street_1", "street_2", "street_3", "postal_code", "city", "region", "country"];
pub(crate) const LINE_FIELDS: [&str; 9] =
    ["id", "product_id", "sku", "description", "quantity", "unit_price", "discount_percent", "vat_rate", "status"];
