// Params each emulated operation accepts (from Chargebee's API reference; see chargebee-api.md).
import { ARR, BOOL, CF, COUNTRY, CURRENCY, E, EMAIL, INT, JSONV, LIST, OBJ, S, TS, UINT } from "./schema.mjs";

export const ADDRESS = {
  first_name: S(150), last_name: S(150), email: EMAIL, company: S(250), phone: S(50),
  line1: S(150), line2: S(150), line3: S(150), city: S(50), state_code: S(50), state: S(50),
  country: COUNTRY, zip: S(20), validation_status: E("not_validated", "valid", "partially_valid", "invalid"),
};

const CUSTOMER_FIELDS = {
  first_name: S(150), last_name: S(150), email: EMAIL, phone: S(50), company: S(250), locale: S(50),
  preferred_currency_code: CURRENCY, auto_collection: E("on", "off"), net_term_days: UINT, allow_direct_debit: BOOL,
  taxability: E("taxable", "exempt"), invoice_notes: S(2000), meta_data: JSONV, exemption_details: JSONV,
  consolidated_invoicing: BOOL, auto_close_invoices: BOOL, client_profile_id: S(50), exempt_number: S(100),
  customer_type: E("residential", "business", "senior_citizen", "industrial"),
  offline_payment_method: E("no_preference", "cash", "check", "bank_transfer", "ach_credit", "sepa_credit", "custom"),
  ...CF,
};

const BILLING_FIELDS = {
  vat_number: S(20), vat_number_prefix: S(10), registered_for_gst: BOOL, is_einvoice_enabled: BOOL,
  einvoicing_method: E("automatic", "manual", "site_default"), business_customer_without_vat_number: BOOL,
  entity_identifier_scheme: S(50), entity_identifier_standard: S(50),
};

export const CUSTOMER_CREATE = {
  id: S(50), ...CUSTOMER_FIELDS, ...BILLING_FIELDS, billing_address: OBJ(ADDRESS),
  business_entity_id: S(50), created_from_ip: S(50),
};
export const CUSTOMER_UPDATE = { ...CUSTOMER_FIELDS, fraud_flag: E("safe", "fraudulent") };
export const CUSTOMER_BILLING_INFO = { ...BILLING_FIELDS, billing_address: OBJ(ADDRESS) };
export const CUSTOMER_DELETE = { delete_payment_method: BOOL };
/** Params that only update_billing_info takes. */
export const BILLING_ONLY = ["billing_address", ...Object.keys(BILLING_FIELDS)];

export const ITEM_FAMILY_CREATE = { id: S(50), name: S(50), description: S(500), business_entity_id: S(50), ...CF };

const ITEM_FIELDS = {
  name: S(100), external_name: S(100), description: S(2000), item_family_id: S(100), is_shippable: BOOL,
  redirect_url: S(500), enabled_for_checkout: BOOL, enabled_in_portal: BOOL, included_in_mrr: BOOL,
  item_applicability: E("all", "restricted"), applicable_items: ARR(S(100)), unit: S(30),
  is_percentage_pricing: BOOL, gift_claim_redirect_url: S(500), metadata: JSONV, ...CF,
};
export const ITEM_CREATE = {
  id: S(100), type: E("plan", "addon", "charge"), is_giftable: BOOL, metered: BOOL,
  usage_calculation: E("sum_of_usages", "last_usage", "max_usage"), business_entity_id: S(50), ...ITEM_FIELDS,
};
export const ITEM_UPDATE = { ...ITEM_FIELDS, status: E("active", "archived"), clear_applicable_items: BOOL };

const PERIOD_UNIT = E("day", "week", "month", "year");
const ITEM_PRICE_FIELDS = {
  name: S(100), description: S(2000), external_name: S(100), price_variant_id: S(100),
  proration_type: E("site_default", "partial_term", "full_term"),
  pricing_model: E("flat_fee", "per_unit", "tiered", "volume", "stairstep"),
  price: UINT, price_in_decimal: S(39), currency_code: CURRENCY, period: { t: "int", min: 1 }, period_unit: PERIOD_UNIT,
  trial_period: UINT, trial_period_unit: E("day", "month"),
  trial_end_action: E("site_default", "activate_subscription", "cancel_subscription"),
  shipping_period: { t: "int", min: 1 }, shipping_period_unit: PERIOD_UNIT, billing_cycles: { t: "int", min: 1 },
  free_quantity: UINT, free_quantity_in_decimal: S(33), is_taxable: BOOL, metadata: JSONV, invoice_notes: S(2000),
  show_description_in_invoices: BOOL, show_description_in_quotes: BOOL,
  tiers: LIST({ starting_unit: { t: "int", min: 1 }, ending_unit: INT, price: UINT, starting_unit_in_decimal: S(33),
    ending_unit_in_decimal: S(33), price_in_decimal: S(39) }),
  accounting_detail: OBJ({ sku: S(100), accounting_code: S(100), accounting_category1: S(100),
    accounting_category2: S(100), accounting_category3: S(100), accounting_category4: S(100) }),
  tax_detail: OBJ({ tax_profile_id: S(50), avalara_tax_code: S(50), hsn_code: S(50), taxjar_product_code: S(50) }),
  ...CF,
};
export const ITEM_PRICE_CREATE = { id: S(100), item_id: S(100), business_entity_id: S(50), ...ITEM_PRICE_FIELDS };
export const ITEM_PRICE_UPDATE = { ...ITEM_PRICE_FIELDS, status: E("active", "archived") };

export const INVOICE_FOR_CHARGE_ITEMS = {
  customer_id: S(50), currency_code: CURRENCY, invoice_date: TS, po_number: S(100), invoice_note: S(2000),
  remove_general_note: BOOL, auto_collection: E("on", "off"), coupon_ids: ARR(S(100)),
  item_prices: LIST({ item_price_id: S(100), quantity: UINT, quantity_in_decimal: S(33), unit_price: UINT,
    unit_price_in_decimal: S(39), date_from: TS, date_to: TS }),
  charges: LIST({ amount: UINT, amount_in_decimal: S(39), description: S(250), taxable: BOOL, date_from: TS, date_to: TS }),
  shipping_address: OBJ(ADDRESS),
};

export const ORDER_STATUSES = ["new", "processing", "complete", "cancelled", "voided", "queued", "awaiting_shipment",
  "on_hold", "delivered", "shipped", "partially_delivered", "returned"];
export const LINE_STATUSES = ["queued", "awaiting_shipment", "on_hold", "delivered", "shipped", "partially_delivered",
  "returned", "cancelled"];
export const CANCELLATION_REASONS = ["shipping_cut_off_passed", "product_unsatisfactory", "third_party_cancellation",
  "product_not_required", "delivery_date_missed", "alternative_found", "invoice_written_off", "invoice_voided",
  "fraudulent_transaction", "payment_declined", "subscription_cancelled", "product_not_available", "others",
  "order_resent"];

export const ORDER_CREATE = {
  id: S(40), invoice_id: S(50), status: E("new", "processing", "complete", "cancelled", "voided"),
  reference_id: S(50), fulfillment_status: S(50), note: S(600), tracking_id: S(50), tracking_url: S(255), batch_id: S(50),
};
export const ORDER_UPDATE = {
  reference_id: S(50), batch_id: S(50), note: S(600), shipping_date: TS, order_date: TS, cancelled_at: TS,
  cancellation_reason: E(...CANCELLATION_REASONS), shipped_at: TS, delivered_at: TS, tracking_url: S(255),
  tracking_id: S(50), shipment_carrier: S(50), fulfillment_status: S(50), status: E(...ORDER_STATUSES),
  shipping_address: OBJ(ADDRESS),
  order_line_items: LIST({ id: S(40), status: E(...LINE_STATUSES), sku: S(250) }),
};
/** POST /orders/{id}/reopen (chargebee-api.md §4.2; the Node SDK's order reopen input). */
export const ORDER_REOPEN = { void_cancellation_credit_notes: BOOL };
export const ORDER_CANCEL = {
  cancellation_reason: E(...CANCELLATION_REASONS), customer_notes: S(2000), comment: S(300), cancelled_at: TS,
  credit_note: OBJ({ total: UINT }),
};
