//! contact-customer — Customerp Contact ⇄ Chargebee Customer.

use super::customer::{self, ADDRESS};
use crate::engine::plan::Wait;
use crate::engine::table::{both, to_chargebee, CpSource, Kind::*, Prop};
use crate::engine::{field, Criterion, Ctx, Flow, FlowDoc, FlowId, RequestSpec};
use crate::error::Result;
use serde_json::{json, Map, Value};

pub struct ContactCustomer;

const fn props() -> [Prop; 15] {
    let [a1, a2, a3, zip, city, region, country] = ADDRESS;
    [
        both("first_name", "first_name", "string(150)", Text(150)),
        both("last_name", "last_name", "string(150)", Text(150)),
        both("email", "email", "string(70), e-mail", Email(70)),
        both("phone", "phone", "string(50)", Text(50)).cp_else("mobile"),
        to_chargebee("customer_name", "company", "string(250)", Text(250)),
        both("language", "locale", "string(50)", Text(50)),
        a1, a2, a3, zip, city, region, country,
        to_chargebee("customer_id", "business_entity_id", "string(50)", Text(50))
            .on_create()
            .from(CpSource::LinkedParent("customer-business_entity")),
        to_chargebee("id", "meta_data.customerp", "JSON object", Json)
            .from(CpSource::Tag { type_name: "contact", extra: &[] }),
    ]
}

static PROPS: [Prop; 15] = props();

static CRITERIA: [Criterion; 2] = [
    Criterion {
        by: "meta_data.customerp",
        customerp: |r| customer::customerp_tag_key("contact", r),
        chargebee: |r| customer::tag_key("contact", r),
    },
    Criterion { by: "email", customerp: customer::email_key, chargebee: customer::email_key },
];

static DOC: FlowDoc = FlowDoc {
    customerp_type: "Contact",
    chargebee_resource: "Customer",
    sentences: "A Customerp contact is a person at a customer company; in Chargebee that person is a customer who \
                can be billed. Every contact becomes a Chargebee customer, and each Chargebee customer that is not an \
                employee becomes a Customerp contact.",
    merge_criteria: &[
        "`meta_data.customerp` = {type: \"contact\", id} (a customer this plugin created or linked before)",
        "`email`, trimmed and compared case-insensitively",
    ],
    rules: &[
        "`phone` is read from `mobile` when `phone` is empty; Chargebee's phone is written back into `phone`.",
        "`business_entity_id` is set on create from the customer-business_entity link of the contact's `customer_id`; \
         it is omitted when that customer is not linked (Chargebee then uses the site's default entity).",
        "Core fields go to `POST /customers/{id}`; `billing_address[...]` only through \
         `POST /customers/{id}/update_billing_info`, which carries every mapped billing field.",
        "A new Chargebee customer tagged `meta_data.customerp.type = \"employee\"` belongs to employee-customer.",
        "An inactive (`is_active: false`) unlinked contact is not copied to Chargebee.",
        "Safe delete: a deleted contact ends the link and tags the customer `meta_data.customerp.deleted = true`; \
         a deleted Chargebee customer marks the contact `is_active: false`.",
    ],
};

impl Flow for ContactCustomer {
    fn id(&self) -> FlowId {
        FlowId::ContactCustomer
    }
    fn doc(&self) -> &'static FlowDoc {
        &DOC
    }
    fn props(&self) -> &'static [Prop] {
        &PROPS
    }
    fn resource_key(&self) -> &'static str {
        "customer"
    }
    fn criteria(&self) -> &'static [Criterion] {
        &CRITERIA
    }
    fn chargebee_id(&self, cp_id: &str, _rec: &Value, ctx: &Ctx) -> Result<String> {
        customer::customer_id(&ctx.options.id_prefix, "contact", cp_id)
    }
    fn hold_customerp(&self, rec: &Value) -> Option<String> {
        customer::is_inactive(rec).then(|| "inactive contact (is_active: false): not copied to Chargebee".into())
    }
    fn hold_chargebee(&self, rec: &Value) -> Option<String> {
        if customer::tag_released(rec) {
            Some("its Customerp record was deleted (meta_data.customerp.deleted): not copied back".into())
        } else if customer::tag_type(rec) == Some("employee") {
            Some("tagged as an employee: belongs to employee-customer".into())
        } else {
            None
        }
    }
    fn waiting_for(&self, _rec: &Value, _ctx: &Ctx) -> Vec<Wait> {
        Vec::new() // a contact never waits for a business entity: an unlinked one is omitted
    }
    fn customerp_new(&self, _cb: &Value, _ctx: &Ctx) -> Map<String, Value> {
        field("is_active", json!(true))
    }
    fn customerp_deactivate(&self) -> Map<String, Value> {
        field("is_active", json!(false))
    }
    fn create_requests(&self, id: &str, resource: Map<String, Value>, _cp: &Value, _ctx: &Ctx) -> Result<Vec<RequestSpec>> {
        Ok(customer::create_requests(id, resource))
    }
    fn update_requests(&self, id: &str, changed: &[usize], merged: &[Value], current: &Value, ctx: &Ctx) -> Vec<RequestSpec> {
        customer::update_requests(crate::mappings::rows_of(self, &PROPS, ctx), id, changed, merged, current, ctx)
    }
    fn mark_deleted_requests(&self, id: &str, current: &Value, cp_id: Option<&str>) -> Vec<RequestSpec> {
        customer::mark_deleted_requests("contact", id, current, cp_id)
    }
    fn delete_requests(&self, id: &str, _current: &Value) -> Vec<RequestSpec> {
        customer::delete_requests(id)
    }
}
