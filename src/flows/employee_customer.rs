//! employee-customer — Customerp Employee ⇄ Chargebee Customer.

use super::customer::{self, ADDRESS};
use crate::engine::table::{both, to_chargebee, CpSource, Kind::*, Prop};
use crate::engine::{field, Criterion, Ctx, Flow, FlowDoc, FlowId, RequestSpec};
use crate::error::Result;
use serde_json::{json, Map, Value};

pub struct EmployeeCustomer;

const fn props() -> [Prop; 13] {
    let [a1, a2, a3, zip, city, region, country] = ADDRESS;
    [
        both("first_name", "first_name", "string(150)", Text(150)),
        both("last_name", "last_name", "string(150)", Text(150)),
        both("email", "email", "string(70), e-mail", Email(70)),
        both("phone", "phone", "string(50)", Text(50)),
        to_chargebee("company", "company", "string(250)", Text(250)).from(CpSource::Option("ownCompanyName")),
        a1, a2, a3, zip, city, region, country,
        to_chargebee("id", "meta_data.customerp", "JSON object", Json)
            .from(CpSource::Tag { type_name: "employee", extra: &["employee_number"] }),
    ]
}

static PROPS: [Prop; 13] = props();

static CRITERIA: [Criterion; 2] = [
    Criterion {
        by: "meta_data.customerp",
        customerp: |r| customer::customerp_tag_key("employee", r),
        chargebee: |r| customer::tag_key("employee", r),
    },
    Criterion { by: "email", customerp: customer::email_key, chargebee: customer::email_key },
];

static DOC: FlowDoc = FlowDoc {
    customerp_type: "Employee",
    chargebee_resource: "Customer",
    sentences: "A Customerp employee works for the ERP's own company; in Chargebee an employee who buys is a \
                customer of that company. Every employee becomes a Chargebee customer whose company is the own \
                company, and each Chargebee customer tagged as an employee becomes a Customerp employee.",
    merge_criteria: &[
        "`meta_data.customerp` = {type: \"employee\", id}",
        "`email`, trimmed and compared case-insensitively; a Chargebee customer linked to a contact is never taken",
    ],
    rules: &[
        "`company` is the option `ownCompanyName` (left out when the option is not set).",
        "An unlinked, unmatched Chargebee customer becomes an Employee only when `meta_data.customerp.type` is \
         `employee`; any other customer becomes a Contact (contact-customer).",
        "Core fields go to `POST /customers/{id}`; `billing_address[...]` only through \
         `POST /customers/{id}/update_billing_info`.",
        "An employee whose employment ended (`is_active: false`) and who is not linked is not copied to Chargebee.",
        "Safe delete: as in contact-customer.",
    ],
};

impl Flow for EmployeeCustomer {
    fn id(&self) -> FlowId {
        FlowId::EmployeeCustomer
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
        customer::customer_id(&ctx.options.id_prefix, "employee", cp_id)
    }
    fn hold_customerp(&self, rec: &Value) -> Option<String> {
        customer::is_inactive(rec).then(|| "employment ended (is_active: false): not copied to Chargebee".into())
    }
    fn hold_chargebee(&self, rec: &Value) -> Option<String> {
        if customer::tag_released(rec) {
            Some("its Customerp record was deleted (meta_data.customerp.deleted): not copied back".into())
        } else if customer::tag_type(rec) != Some("employee") {
            Some("not tagged as an employee: copied to Customerp by contact-customer".into())
        } else {
            None
        }
    }
    fn foreign_chargebee(&self, rec: &Value) -> bool {
        // Untagged customers may still be matched by e-mail; a contact's customer never.
        customer::tag_released(rec) || matches!(customer::tag_type(rec), Some(t) if t != "employee")
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
        customer::mark_deleted_requests("employee", id, current, cp_id)
    }
    fn delete_requests(&self, id: &str, _current: &Value) -> Vec<RequestSpec> {
        customer::delete_requests(id)
    }
}
