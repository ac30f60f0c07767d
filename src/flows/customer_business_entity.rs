//! customer-business_entity — Customerp Customer ⇄ Chargebee Business entity.
//!
//! Chargebee has no public API to create or change business entities: Customerp → Chargebee
//! changes are `manual` actions that say what to do in Chargebee's settings. Chargebee →
//! Customerp works fully, from business-entity records or `business_entity_*` events.

use crate::engine::table::{both, Kind::*, Prop};
use crate::engine::{field, Criterion, Ctx, Flow, FlowDoc, FlowId, RequestSpec};
use crate::error::Result;
use serde_json::{json, Map, Value};
use unicode_normalization::UnicodeNormalization;

pub struct CustomerBusinessEntity;

static PROPS: [Prop; 2] = [
    both("name", "name", "string(100)", Text(100)),
    both("is_active", "status", "enum active, inactive", BoolEnum("active", "inactive")),
];

/// NFC, trimmed, inner white space collapsed, case-folded.
pub fn name_key(rec: &Value) -> Option<String> {
    let name = rec.get("name")?.as_str()?;
    let nfc: String = name.nfc().collect();
    let collapsed = nfc.split_whitespace().collect::<Vec<_>>().join(" ");
    (!collapsed.is_empty()).then(|| caseless::default_case_fold_str(&collapsed).nfc().collect())
}

static CRITERIA: [Criterion; 1] = [Criterion { by: "name", customerp: name_key, chargebee: name_key }];

static DOC: FlowDoc = FlowDoc {
    customerp_type: "Customer",
    chargebee_resource: "Business_entity",
    sentences: "A Customerp customer is an organisation that buys; in Chargebee a business entity is a legal \
                entity of the site that owns customers, subscriptions and invoices. Each business entity becomes a \
                Customerp customer, and a Customerp customer with no entity is reported for a person to create \
                the entity in Chargebee, since Chargebee offers no API to write business entities.",
    merge_criteria: &["`name`, Unicode-normalised (NFC), trimmed, inner white space collapsed, case-folded"],
    rules: &[
        "Chargebee has no public API to create or change business entities (they are made in Chargebee's settings, \
         at most 30 a site): a Customerp → Chargebee change is a `manual` action whose reason says what to create or \
         rename, repeated by every plan until Chargebee shows the change.",
        "Chargebee → Customerp works fully, from business-entity records or `business_entity_*` events \
         (`content.business_entity`).",
        "A contact's `business_entity_id` comes from this flow's links.",
        "Safe delete: a deleted Customerp customer ends the link and asks a person to deactivate the entity; a \
         deleted business entity marks the customer `is_active: false`.",
    ],
};

fn settings_path() -> &'static str {
    "Settings › Configure Chargebee › Business entities"
}

impl Flow for CustomerBusinessEntity {
    fn id(&self) -> FlowId {
        FlowId::CustomerBusinessEntity
    }
    fn doc(&self) -> &'static FlowDoc {
        &DOC
    }
    fn props(&self) -> &'static [Prop] {
        &PROPS
    }
    fn resource_key(&self) -> &'static str {
        "business_entity"
    }
    fn criteria(&self) -> &'static [Criterion] {
        &CRITERIA
    }
    /// Chargebee assigns business-entity ids; this one is only suggested in the instruction.
    fn chargebee_id(&self, cp_id: &str, _rec: &Value, ctx: &Ctx) -> Result<String> {
        Ok(format!("{}-customer-{cp_id}", ctx.options.id_prefix))
    }
    fn writes_by_hand(&self) -> bool {
        true
    }
    fn manual_instruction(&self, op: &str, cb_id: Option<&str>, rows: &[usize], values: &[Value]) -> String {
        let name = values.first().and_then(Value::as_str).unwrap_or("");
        let active = values.get(1).and_then(Value::as_bool) != Some(false);
        let entity = cb_id.map(|id| format!("business entity {id}")).unwrap_or_default();
        match op {
            "create" => format!(
                "Chargebee has no API for business entities: in {} choose Create Business Entity, name it {name:?}{}; \
                 the next sync links it to this customer by name.",
                settings_path(),
                if active { "" } else { " and set it inactive" }
            ),
            "update" => {
                let mut steps = Vec::new();
                for &i in rows {
                    match i {
                        0 => steps.push(format!("rename it to {name:?}")),
                        _ => steps.push(format!("set its status to {}", if active { "active" } else { "inactive" })),
                    }
                }
                format!("Chargebee has no API for business entities: in {}, open {entity} and {}.", settings_path(), steps.join(" and "))
            }
            "delete" => format!("The Customerp customer was deleted: delete {entity} in {} if nothing uses it.", settings_path()),
            _ => format!("The Customerp customer was deleted: set {entity} inactive in {} if it is no longer used.", settings_path()),
        }
    }
    fn customerp_deactivate(&self) -> Map<String, Value> {
        field("is_active", json!(false))
    }
    fn create_requests(&self, _id: &str, _resource: Map<String, Value>, _cp: &Value, _ctx: &Ctx) -> Result<Vec<RequestSpec>> {
        Ok(Vec::new())
    }
    fn update_requests(&self, _: &str, _: &[usize], _: &[Value], _: &Value, _: &Ctx) -> Vec<RequestSpec> {
        Vec::new()
    }
    fn mark_deleted_requests(&self, _: &str, _: &Value, _: Option<&str>) -> Vec<RequestSpec> {
        Vec::new()
    }
    fn delete_requests(&self, _: &str, _: &Value) -> Vec<RequestSpec> {
        Vec::new()
    }
}
