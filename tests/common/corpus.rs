//! The bad-input corpus (`tests/corpus/*.json`, described in `tests/corpus/README.md`), run through
//! any `Driver`: every case must give its documented `SyncError` code and path, and the next call on
//! the same instance must work. The files are embedded, so the browser run needs no file system.

use super::Driver;
use serde_json::{json, Map, Value};

const TEMPLATES: &str = include_str!("../corpus/templates.json");

/// Every case file, in order. A native check below keeps this list equal to the folder.
const CASES: &[(&str, &str)] = &[
    ("001-text-field-contact-first-name-as-a-number.json", include_str!("../corpus/001-text-field-contact-first-name-as-a-number.json")),
    ("002-e-mail-field-as-a-number.json", include_str!("../corpus/002-e-mail-field-as-a-number.json")),
    ("003-country-field-as-a-number.json", include_str!("../corpus/003-country-field-as-a-number.json")),
    ("004-nested-address-as-a-string.json", include_str!("../corpus/004-nested-address-as-a-string.json")),
    ("005-nested-address-as-an-array.json", include_str!("../corpus/005-nested-address-as-an-array.json")),
    ("006-calendar-date-as-a-number.json", include_str!("../corpus/006-calendar-date-as-a-number.json")),
    ("007-date-time-updated-as-a-number.json", include_str!("../corpus/007-date-time-updated-as-a-number.json")),
    ("008-money-as-a-boolean.json", include_str!("../corpus/008-money-as-a-boolean.json")),
    ("009-money-as-an-object.json", include_str!("../corpus/009-money-as-an-object.json")),
    ("010-boolean-is-active-as-a-string.json", include_str!("../corpus/010-boolean-is-active-as-a-string.json")),
    ("011-boolean-deleted-as-a-string.json", include_str!("../corpus/011-boolean-deleted-as-a-string.json")),
    ("012-enum-order-status-as-a-number.json", include_str!("../corpus/012-enum-order-status-as-a-number.json")),
    ("013-lines-as-an-object.json", include_str!("../corpus/013-lines-as-an-object.json")),
    ("014-a-line-as-a-number.json", include_str!("../corpus/014-a-line-as-a-number.json")),
    ("015-quantity-as-an-array.json", include_str!("../corpus/015-quantity-as-an-array.json")),
    ("016-currency-as-a-number.json", include_str!("../corpus/016-currency-as-a-number.json")),
    ("017-chargebee-text-first-name-as-a-number.json", include_str!("../corpus/017-chargebee-text-first-name-as-a-number.json")),
    ("018-chargebee-timestamp-as-a-string.json", include_str!("../corpus/018-chargebee-timestamp-as-a-string.json")),
    ("019-chargebee-money-item-price-as-a-string.json", include_str!("../corpus/019-chargebee-money-item-price-as-a-string.json")),
    ("020-chargebee-enum-business-entity-status-as-a-number.json", include_str!("../corpus/020-chargebee-enum-business-entity-status-as-a-number.json")),
    ("021-chargebee-boolean-deleted-as-a-string.json", include_str!("../corpus/021-chargebee-boolean-deleted-as-a-string.json")),
    ("022-chargebee-meta-data-as-a-number.json", include_str!("../corpus/022-chargebee-meta-data-as-a-number.json")),
    ("023-chargebee-order-lines-as-an-object.json", include_str!("../corpus/023-chargebee-order-lines-as-an-object.json")),
    ("024-chargebee-item-prices-as-an-object.json", include_str!("../corpus/024-chargebee-item-prices-as-an-object.json")),
    ("025-chargebee-line-quantity-as-a-string.json", include_str!("../corpus/025-chargebee-line-quantity-as-a-string.json")),
    ("026-the-whole-planinput-as-a-string.json", include_str!("../corpus/026-the-whole-planinput-as-a-string.json")),
    ("027-links-as-an-array.json", include_str!("../corpus/027-links-as-an-array.json")),
    ("028-a-link-target-as-a-number.json", include_str!("../corpus/028-a-link-target-as-a-number.json")),
    ("029-plan-input-null.json", include_str!("../corpus/029-plan-input-null.json")),
    ("030-tochargebee-record-null.json", include_str!("../corpus/030-tochargebee-record-null.json")),
    ("031-tocustomerp-resource-null.json", include_str!("../corpus/031-tocustomerp-resource-null.json")),
    ("032-match-customerp-list-null.json", include_str!("../corpus/032-match-customerp-list-null.json")),
    ("033-encodeform-params-null.json", include_str!("../corpus/033-encodeform-params-null.json")),
    ("034-a-quote-line-null.json", include_str!("../corpus/034-a-quote-line-null.json")),
    ("035-a-match-candidate-null.json", include_str!("../corpus/035-a-match-candidate-null.json")),
    ("036-customerp-id-as-an-object.json", include_str!("../corpus/036-customerp-id-as-an-object.json")),
    ("037-customerp-id-as-an-array.json", include_str!("../corpus/037-customerp-id-as-an-array.json")),
    ("038-chargebee-id-as-an-object.json", include_str!("../corpus/038-chargebee-id-as-an-object.json")),
    ("039-chargebee-id-as-a-number.json", include_str!("../corpus/039-chargebee-id-as-a-number.json")),
    ("040-contact-id-reference-as-an-object.json", include_str!("../corpus/040-contact-id-reference-as-an-object.json")),
    ("041-customerp-id-2-53-1.json", include_str!("../corpus/041-customerp-id-2-53-1.json")),
    ("042-customerp-id-2-60-in-match.json", include_str!("../corpus/042-customerp-id-2-60-in-match.json")),
    ("043-customerp-id-2-53-1.json", include_str!("../corpus/043-customerp-id-2-53-1.json")),
    ("044-customerp-id-as-a-fraction.json", include_str!("../corpus/044-customerp-id-as-a-fraction.json")),
    ("045-contact-id-reference-beyond-2-53.json", include_str!("../corpus/045-contact-id-reference-beyond-2-53.json")),
    ("046-contact-id-reference-as-a-safe-integer-is-accepted.json", include_str!("../corpus/046-contact-id-reference-as-a-safe-integer-is-accepted.json")),
    ("047-chargebee-timestamp-2-60.json", include_str!("../corpus/047-chargebee-timestamp-2-60.json")),
    ("048-chargebee-money-2-54.json", include_str!("../corpus/048-chargebee-money-2-54.json")),
    ("049-customerp-id-too-long-for-a-chargebee-customer-id.json", include_str!("../corpus/049-customerp-id-too-long-for-a-chargebee-customer-id.json")),
    ("050-customerp-id-with-a-slash.json", include_str!("../corpus/050-customerp-id-with-a-slash.json")),
    ("051-price-nan.json", include_str!("../corpus/051-price-nan.json")),
    ("052-price-infinity.json", include_str!("../corpus/052-price-infinity.json")),
    ("053-price-infinity.json", include_str!("../corpus/053-price-infinity.json")),
    ("054-quantity-nan.json", include_str!("../corpus/054-quantity-nan.json")),
    ("055-price-1e400.json", include_str!("../corpus/055-price-1e400.json")),
    ("056-quantity-1e400.json", include_str!("../corpus/056-quantity-1e400.json")),
    ("057-billing-period-infinity.json", include_str!("../corpus/057-billing-period-infinity.json")),
    ("058-hex-price-0x10.json", include_str!("../corpus/058-hex-price-0x10.json")),
    ("059-negative-price.json", include_str!("../corpus/059-negative-price.json")),
    ("060-negative-unit-price-number.json", include_str!("../corpus/060-negative-unit-price-number.json")),
    ("061-negative-quantity.json", include_str!("../corpus/061-negative-quantity.json")),
    ("062-fractional-quantity.json", include_str!("../corpus/062-fractional-quantity.json")),
    ("063-huge-price-10-20.json", include_str!("../corpus/063-huge-price-10-20.json")),
    ("064-price-past-2-53-minor-units.json", include_str!("../corpus/064-price-past-2-53-minor-units.json")),
    ("065-negative-chargebee-item-price.json", include_str!("../corpus/065-negative-chargebee-item-price.json")),
    ("066-negative-chargebee-line-unit-price-on-a-new-order.json", include_str!("../corpus/066-negative-chargebee-line-unit-price-on-a-new-order.json")),
    ("067-unknown-currency.json", include_str!("../corpus/067-unknown-currency.json")),
    ("068-unknown-currency-on-a-quote.json", include_str!("../corpus/068-unknown-currency-on-a-quote.json")),
    ("069-unknown-chargebee-currency.json", include_str!("../corpus/069-unknown-chargebee-currency.json")),
    ("070-currency-without-minor-unit-xxx.json", include_str!("../corpus/070-currency-without-minor-unit-xxx.json")),
    ("071-three-decimal-currency-with-a-sub-cent-price-bhd-1-234.json", include_str!("../corpus/071-three-decimal-currency-with-a-sub-cent-price-bhd-1-234.json")),
    ("072-three-decimal-currency-with-a-sub-cent-unit-price-kwd-0-005.json", include_str!("../corpus/072-three-decimal-currency-with-a-sub-cent-unit-price-kwd-0-005.json")),
    ("073-updated-without-offset.json", include_str!("../corpus/073-updated-without-offset.json")),
    ("074-created-as-a-bare-date.json", include_str!("../corpus/074-created-as-a-bare-date.json")),
    ("075-shipped-at-without-offset.json", include_str!("../corpus/075-shipped-at-without-offset.json")),
    ("076-updated-in-month-13.json", include_str!("../corpus/076-updated-in-month-13.json")),
    ("077-updated-in-year-99999.json", include_str!("../corpus/077-updated-in-year-99999.json")),
    ("078-quote-date-february-30.json", include_str!("../corpus/078-quote-date-february-30.json")),
    ("079-quote-date-with-a-time.json", include_str!("../corpus/079-quote-date-with-a-time.json")),
    ("080-delivery-date-not-zero-padded.json", include_str!("../corpus/080-delivery-date-not-zero-padded.json")),
    ("081-chargebee-timestamp-out-of-range-10-15.json", include_str!("../corpus/081-chargebee-timestamp-out-of-range-10-15.json")),
    ("082-chargebee-timestamp-as-a-fraction.json", include_str!("../corpus/082-chargebee-timestamp-as-a-fraction.json")),
    ("083-option-createdafter-without-offset.json", include_str!("../corpus/083-option-createdafter-without-offset.json")),
    ("084-invalid-e-mail-a.json", include_str!("../corpus/084-invalid-e-mail-a.json")),
    ("085-invalid-e-mail-not-an-email.json", include_str!("../corpus/085-invalid-e-mail-not-an-email.json")),
    ("086-invalid-e-mail-a-b.json", include_str!("../corpus/086-invalid-e-mail-a-b.json")),
    ("087-invalid-e-mail-example-com.json", include_str!("../corpus/087-invalid-e-mail-example-com.json")),
    ("088-country-name-instead-of-code.json", include_str!("../corpus/088-country-name-instead-of-code.json")),
    ("089-unknown-country-code.json", include_str!("../corpus/089-unknown-country-code.json")),
    ("090-chargebee-billing-country-that-is-not-a-code.json", include_str!("../corpus/090-chargebee-billing-country-that-is-not-a-code.json")),
    ("091-malformed-chargebee-e-mail.json", include_str!("../corpus/091-malformed-chargebee-e-mail.json")),
    ("092-contact-first-name-of-151-characters.json", include_str!("../corpus/092-contact-first-name-of-151-characters.json")),
    ("093-contact-last-name-of-151-characters.json", include_str!("../corpus/093-contact-last-name-of-151-characters.json")),
    ("094-contact-phone-of-51-characters.json", include_str!("../corpus/094-contact-phone-of-51-characters.json")),
    ("095-contact-customer-name-of-251-characters.json", include_str!("../corpus/095-contact-customer-name-of-251-characters.json")),
    ("096-contact-language-of-51-characters.json", include_str!("../corpus/096-contact-language-of-51-characters.json")),
    ("097-employee-employee-number-of-51-characters.json", include_str!("../corpus/097-employee-employee-number-of-51-characters.json")),
    ("098-erp-customer-name-of-101-characters.json", include_str!("../corpus/098-erp-customer-name-of-101-characters.json")),
    ("099-product-name-of-101-characters.json", include_str!("../corpus/099-product-name-of-101-characters.json")),
    ("100-product-description-of-2001-characters.json", include_str!("../corpus/100-product-description-of-2001-characters.json")),
    ("101-product-unit-of-31-characters.json", include_str!("../corpus/101-product-unit-of-31-characters.json")),
    ("102-quote-note-of-601-characters.json", include_str!("../corpus/102-quote-note-of-601-characters.json")),
    ("103-quote-number-of-51-characters.json", include_str!("../corpus/103-quote-number-of-51-characters.json")),
    ("104-order-tracking-number-of-51-characters.json", include_str!("../corpus/104-order-tracking-number-of-51-characters.json")),
    ("105-order-tracking-url-of-256-characters.json", include_str!("../corpus/105-order-tracking-url-of-256-characters.json")),
    ("106-order-carrier-of-51-characters.json", include_str!("../corpus/106-order-carrier-of-51-characters.json")),
    ("107-e-mail-of-71-characters.json", include_str!("../corpus/107-e-mail-of-71-characters.json")),
    ("108-street-of-151-two-byte-characters.json", include_str!("../corpus/108-street-of-151-two-byte-characters.json")),
    ("109-postal-code-of-21-characters.json", include_str!("../corpus/109-postal-code-of-21-characters.json")),
    ("110-line-sku-of-251-characters.json", include_str!("../corpus/110-line-sku-of-251-characters.json")),
    ("111-option-owncompanyname-of-251-characters.json", include_str!("../corpus/111-option-owncompanyname-of-251-characters.json")),
    ("112-option-idprefix-of-21-characters.json", include_str!("../corpus/112-option-idprefix-of-21-characters.json")),
    ("113-a-10-mb-first-name.json", include_str!("../corpus/113-a-10-mb-first-name.json")),
    ("114-a-10-mb-note.json", include_str!("../corpus/114-a-10-mb-note.json")),
    ("115-a-200-deep-object-in-an-unknown-field.json", include_str!("../corpus/115-a-200-deep-object-in-an-unknown-field.json")),
    ("116-a-200-deep-object-as-a-text-field.json", include_str!("../corpus/116-a-200-deep-object-as-a-text-field.json")),
    ("117-a-200-deep-array-in-the-options.json", include_str!("../corpus/117-a-200-deep-array-in-the-options.json")),
    ("118-a-200-deep-object-in-encodeform.json", include_str!("../corpus/118-a-200-deep-object-in-encodeform.json")),
    ("119-base-from-another-flow.json", include_str!("../corpus/119-base-from-another-flow.json")),
    ("120-contact-base-given-to-product-item.json", include_str!("../corpus/120-contact-base-given-to-product-item.json")),
    ("121-base-of-a-future-version.json", include_str!("../corpus/121-base-of-a-future-version.json")),
    ("122-base-version-as-a-string.json", include_str!("../corpus/122-base-version-as-a-string.json")),
    ("123-base-as-an-array.json", include_str!("../corpus/123-base-as-an-array.json")),
    ("124-base-without-a-side.json", include_str!("../corpus/124-base-without-a-side.json")),
    ("125-links-keyed-constructor.json", include_str!("../corpus/125-links-keyed-constructor.json")),
    ("126-option-constructor.json", include_str!("../corpus/126-option-constructor.json")),
    ("127-propertywinners-tostring.json", include_str!("../corpus/127-propertywinners-tostring.json")),
    ("128-a-record-with-constructor-and-prototype-fields-is-planned-fi.json", include_str!("../corpus/128-a-record-with-constructor-and-prototype-fields-is-planned-fi.json")),
    ("129-options-as-an-array.json", include_str!("../corpus/129-options-as-an-array.json")),
    ("130-conflicts-as-a-number.json", include_str!("../corpus/130-conflicts-as-a-number.json")),
    ("131-readonly-as-a-string.json", include_str!("../corpus/131-readonly-as-a-string.json")),
    ("132-readonly-element-unknown.json", include_str!("../corpus/132-readonly-element-unknown.json")),
    ("133-timezone-as-a-number.json", include_str!("../corpus/133-timezone-as-a-number.json")),
    ("134-empty-itemfamilyid.json", include_str!("../corpus/134-empty-itemfamilyid.json")),
    ("135-product-create-without-itemfamilyid.json", include_str!("../corpus/135-product-create-without-itemfamilyid.json")),
    ("136-unknown-flow.json", include_str!("../corpus/136-unknown-flow.json")),
    ("137-flow-id-as-a-number.json", include_str!("../corpus/137-flow-id-as-a-number.json")),
    ("138-match-chargebee-list-as-an-object.json", include_str!("../corpus/138-match-chargebee-list-as-an-object.json")),
    ("139-match-chargebee-record-without-id.json", include_str!("../corpus/139-match-chargebee-record-without-id.json")),
    ("140-planbatch-with-a-non-array.json", include_str!("../corpus/140-planbatch-with-a-non-array.json")),
    ("141-planbatch-slot-with-a-bad-record.json", include_str!("../corpus/141-planbatch-slot-with-a-bad-record.json")),
    ("142-planbatch-slot-with-a-base-from-another-flow.json", include_str!("../corpus/142-planbatch-slot-with-a-base-from-another-flow.json")),
    ("143-dataflowdocument-in-an-unknown-format.json", include_str!("../corpus/143-dataflowdocument-in-an-unknown-format.json")),
    ("144-encodeform-with-a-list-in-a-list.json", include_str!("../corpus/144-encodeform-with-a-list-in-a-list.json")),
    ("145-encodeform-with-an-object-in-a-list-of-objects.json", include_str!("../corpus/145-encodeform-with-an-object-in-a-list-of-objects.json")),
    ("146-encodeform-with-an-unresolved-reference.json", include_str!("../corpus/146-encodeform-with-an-unresolved-reference.json")),
    ("147-encodeform-with-an-unresolved-reference-inside-meta-data.json", include_str!("../corpus/147-encodeform-with-an-unresolved-reference-inside-meta-data.json")),
    ("148-encodeform-of-an-array.json", include_str!("../corpus/148-encodeform-of-an-array.json")),
    ("149-nul-in-a-contact-s-first-name.json", include_str!("../corpus/149-nul-in-a-contact-s-first-name.json")),
    ("150-esc-in-a-chargebee-customer-s-last-name.json", include_str!("../corpus/150-esc-in-a-chargebee-customer-s-last-name.json")),
    ("151-a-tab-in-a-first-name-is-kept.json", include_str!("../corpus/151-a-tab-in-a-first-name-is-kept.json")),
    ("152-nul-in-a-sku.json", include_str!("../corpus/152-nul-in-a-sku.json")),
    ("153-a-sku-of.json", include_str!("../corpus/153-a-sku-of.json")),
    ("154-a-sku-with-a-backslash.json", include_str!("../corpus/154-a-sku-with-a-backslash.json")),
    ("155-a-sku-with-a-percent-sign.json", include_str!("../corpus/155-a-sku-with-a-percent-sign.json")),
    ("156-a-chargebee-item-id-with-dot-segments.json", include_str!("../corpus/156-a-chargebee-item-id-with-dot-segments.json")),
    ("157-a-chargebee-customer-id-of.json", include_str!("../corpus/157-a-chargebee-customer-id-of.json")),
    ("158-a-chargebee-customer-id-with-a-question-mark.json", include_str!("../corpus/158-a-chargebee-customer-id-with-a-question-mark.json")),
    ("159-a-customerp-id-with-a-nul.json", include_str!("../corpus/159-a-customerp-id-with-a-nul.json")),
    ("160-an-offset-of-25-00.json", include_str!("../corpus/160-an-offset-of-25-00.json")),
    ("161-an-offset-of-24-00.json", include_str!("../corpus/161-an-offset-of-24-00.json")),
    ("162-an-offset-with-seconds.json", include_str!("../corpus/162-an-offset-with-seconds.json")),
    ("163-an-offset-of-23-59-is-a-utc-offset.json", include_str!("../corpus/163-an-offset-of-23-59-is-a-utc-offset.json")),
    ("164-a-negative-chargebee-updated-at.json", include_str!("../corpus/164-a-negative-chargebee-updated-at.json")),
    ("165-the-last-second-of-year-9999.json", include_str!("../corpus/165-the-last-second-of-year-9999.json")),
    ("166-a-date-time-cut-inside-a-non-ascii-letter.json", include_str!("../corpus/166-a-date-time-cut-inside-a-non-ascii-letter.json")),
    ("167-customerp-updated-of-1e309-in-json-text.json", include_str!("../corpus/167-customerp-updated-of-1e309-in-json-text.json")),
    ("168-chargebee-updated-at-of-1e309-in-json-text.json", include_str!("../corpus/168-chargebee-updated-at-of-1e309-in-json-text.json")),
    ("169-chargebee-billing-city-of-1e309-in-json-text.json", include_str!("../corpus/169-chargebee-billing-city-of-1e309-in-json-text.json")),
    ("170-tochargebee-with-an-address-city-of-1e400-in-json-text.json", include_str!("../corpus/170-tochargebee-with-an-address-city-of-1e400-in-json-text.json")),
    ("171-tocustomerp-with-an-updated-at-of-1e309-in-json-text.json", include_str!("../corpus/171-tocustomerp-with-an-updated-at-of-1e309-in-json-text.json")),
    ("172-planbatch-slot-with-an-updated-of-1e309-in-json-text.json", include_str!("../corpus/172-planbatch-slot-with-an-updated-of-1e309-in-json-text.json")),
    ("173-match-customerp-record-with-an-updated-of-1e309-in-json-text.json", include_str!("../corpus/173-match-customerp-record-with-an-updated-of-1e309-in-json-text.json")),
    ("174-match-chargebee-record-with-a-billing-city-of-1e309-in-json.json", include_str!("../corpus/174-match-chargebee-record-with-a-billing-city-of-1e309-in-json.json")),
    ("175-a-lone-surrogate-escape-in-a-customerp-first-name.json", include_str!("../corpus/175-a-lone-surrogate-escape-in-a-customerp-first-name.json")),
    ("176-a-lone-surrogate-escape-in-a-chargebee-billing-city.json", include_str!("../corpus/176-a-lone-surrogate-escape-in-a-chargebee-billing-city.json")),
    ("177-planbatch-slot-with-a-lone-surrogate-escape.json", include_str!("../corpus/177-planbatch-slot-with-a-lone-surrogate-escape.json")),
    ("178-match-with-two-customerp-records-of-one-id.json", include_str!("../corpus/178-match-with-two-customerp-records-of-one-id.json")),
    ("179-match-with-two-chargebee-customers-of-one-id.json", include_str!("../corpus/179-match-with-two-chargebee-customers-of-one-id.json")),
    ("180-match-with-a-deleted-chargebee-item-and-a-new-one-of-its-id.json", include_str!("../corpus/180-match-with-a-deleted-chargebee-item-and-a-new-one-of-its-id.json")),
    ("181-planundo-with-the-undo-input-as-a-string.json", include_str!("../corpus/181-planundo-with-the-undo-input-as-a-string.json")),
    ("182-planundo-with-a-misspelt-undoinput-key.json", include_str!("../corpus/182-planundo-with-a-misspelt-undoinput-key.json")),
    ("183-planundo-releasing-a-side-that-does-not-exist.json", include_str!("../corpus/183-planundo-releasing-a-side-that-does-not-exist.json")),
    ("184-planundo-releasing-a-chargebee-record-the-input-does-not-hav.json", include_str!("../corpus/184-planundo-releasing-a-chargebee-record-the-input-does-not-hav.json")),
    ("185-planundo-with-release-and-properties.json", include_str!("../corpus/185-planundo-with-release-and-properties.json")),
    ("186-planundo-putting-properties-back-without-a-base.json", include_str!("../corpus/186-planundo-putting-properties-back-without-a-base.json")),
    ("187-planundo-with-properties-as-an-object.json", include_str!("../corpus/187-planundo-with-properties-as-an-object.json")),
    ("188-planundo-with-an-unknown-side.json", include_str!("../corpus/188-planundo-with-an-unknown-side.json")),
    ("189-planundo-with-a-property-not-in-the-flow.json", include_str!("../corpus/189-planundo-with-a-property-not-in-the-flow.json")),
    ("190-planundo-with-a-one-way-property-on-the-side-it-never-reache.json", include_str!("../corpus/190-planundo-with-a-one-way-property-on-the-side-it-never-reache.json")),
    ("191-planundo-with-before-of-the-wrong-type.json", include_str!("../corpus/191-planundo-with-before-of-the-wrong-type.json")),
    ("192-planundo-with-a-malformed-e-mail-as-before.json", include_str!("../corpus/192-planundo-with-a-malformed-e-mail-as-before.json")),
    ("193-planundo-with-after-of-151-characters.json", include_str!("../corpus/193-planundo-with-after-of-151-characters.json")),
    ("194-planundo-with-a-misspelt-key-of-a-property.json", include_str!("../corpus/194-planundo-with-a-misspelt-key-of-a-property.json")),
    ("195-planundo-with-a-line-on-a-property-without-lines.json", include_str!("../corpus/195-planundo-with-a-line-on-a-property-without-lines.json")),
    ("196-planundo-with-a-lone-surrogate-escape-in-before.json", include_str!("../corpus/196-planundo-with-a-lone-surrogate-escape-in-before.json")),
    ("197-planundo-with-a-line-that-does-not-exist.json", include_str!("../corpus/197-planundo-with-a-line-that-does-not-exist.json")),
    ("198-planundo-with-a-chargebee-line-the-customerp-line-has-no-par.json", include_str!("../corpus/198-planundo-with-a-chargebee-line-the-customerp-line-has-no-par.json")),
    ("199-planundo-with-a-line-property-without-its-line.json", include_str!("../corpus/199-planundo-with-a-line-property-without-its-line.json")),
    ("200-planundo-with-a-line-status-chargebee-does-not-have.json", include_str!("../corpus/200-planundo-with-a-line-status-chargebee-does-not-have.json")),
    ("201-planundo-putting-back-a-line-price-chargebee-takes-only-on-cr.json", include_str!("../corpus/201-planundo-putting-back-a-line-price-chargebee-takes-only-on-cr.json")),
    ("202-matcher-of-an-unknown-flow.json", include_str!("../corpus/202-matcher-of-an-unknown-flow.json")),
    ("203-matcher-with-an-unknown-option.json", include_str!("../corpus/203-matcher-with-an-unknown-option.json")),
    ("204-matcher-given-a-page-that-is-not-a-list.json", include_str!("../corpus/204-matcher-given-a-page-that-is-not-a-list.json")),
    ("205-matcher-with-a-duplicate-id-across-pages.json", include_str!("../corpus/205-matcher-with-a-duplicate-id-across-pages.json")),
    ("206-matcher-with-a-chargebee-record-without-id-in-its-second-pag.json", include_str!("../corpus/206-matcher-with-a-chargebee-record-without-id-in-its-second-pag.json")),
    ("207-matcher-with-a-customerp-id-of-2-60-in-its-second-page.json", include_str!("../corpus/207-matcher-with-a-customerp-id-of-2-60-in-its-second-page.json")),
    ("208-matcher-given-records-after-finish.json", include_str!("../corpus/208-matcher-given-records-after-finish.json")),
    ("209-matcher-finished-twice.json", include_str!("../corpus/209-matcher-finished-twice.json")),
    ("210-matcher-with-a-1e309-in-a-record-of-its-second-page.json", include_str!("../corpus/210-matcher-with-a-1e309-in-a-record-of-its-second-page.json")),
    ("211-planundo-with-a-price-as-an-object.json", include_str!("../corpus/211-planundo-with-a-price-as-an-object.json")),
];

fn driver_kind() -> &'static str {
    if cfg!(target_arch = "wasm32") { "wasm" } else { "native" }
}

/// What `{"$json": text}` expands to: a marker that [`as_text`] replaces by `text`.
const RAW: &str = "\u{1}$json:";

/// An expanded argument as JSON text, each `$json` marker replaced by its text.
fn as_text(v: &Value, raws: &[String]) -> String {
    let mut text = v.to_string();
    for (i, raw) in raws.iter().enumerate() {
        text = text.replace(&Value::String(format!("{RAW}{i}")).to_string(), raw);
    }
    text
}

/// Expands the notation of the case files: `{"$t": name, "set": patch, "unset": [dotted]}`,
/// `{"$repeat": s, "times": n}`, `{"$nest": n, "key": k | null, "leaf": v}`, and `{"$json": text}`
/// (JSON text a `Value` cannot hold, kept in `raws`: the case is then called with JSON text).
fn expand(v: &Value, templates: &Map<String, Value>, raws: &mut Vec<String>) -> Value {
    match v {
        Value::Object(m) if m.contains_key("$json") => {
            raws.push(m["$json"].as_str().expect("$json takes JSON text").to_string());
            Value::String(format!("{RAW}{}", raws.len() - 1))
        }
        Value::Object(m) if m.contains_key("$t") => {
            let name = m["$t"].as_str().expect("$t names a template");
            let mut out = expand(templates.get(name).unwrap_or_else(|| panic!("no template {name}")), templates, raws);
            if let Some(patch) = m.get("set") {
                merge(&mut out, &expand(patch, templates, raws));
            }
            for dotted in m.get("unset").and_then(Value::as_array).into_iter().flatten() {
                unset(&mut out, dotted.as_str().expect("unset takes dotted paths"));
            }
            out
        }
        Value::Object(m) if m.contains_key("$repeat") => {
            let s = m["$repeat"].as_str().expect("$repeat takes a string");
            Value::String(s.repeat(m["times"].as_u64().expect("times") as usize))
        }
        Value::Object(m) if m.contains_key("$nest") => {
            let depth = m["$nest"].as_u64().expect("$nest takes a depth");
            let mut out = m.get("leaf").cloned().unwrap_or_else(|| json!({}));
            for _ in 0..depth {
                out = match m.get("key").and_then(Value::as_str) {
                    Some(k) => json!({ k: out }),
                    None => json!([out]),
                };
            }
            out
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), expand(v, templates, raws))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|v| expand(v, templates, raws)).collect()),
        other => other.clone(),
    }
}

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, pv) in b {
                match a.get_mut(k) {
                    Some(av) if av.is_object() && pv.is_object() => merge(av, pv),
                    _ => {
                        a.insert(k.clone(), pv.clone());
                    }
                }
            }
        }
        (slot, p) => *slot = p.clone(),
    }
}

fn unset(target: &mut Value, dotted: &str) {
    let (parent, last) = match dotted.rsplit_once('.') {
        Some((p, l)) => (p.split('.').try_fold(&mut *target, |cur, seg| cur.get_mut(seg)), l),
        None => (Some(target), dotted),
    };
    if let Some(Value::Object(m)) = parent {
        m.shift_remove(last);
    }
}

/// What the case expects, or why it does not.
fn check(expect: &Value, got: &Result<Value, Value>) -> Result<(), String> {
    let short = |v: &Value| {
        let s = v.to_string();
        if s.len() > 400 { format!("{}…", &s[..s.char_indices().nth(400).map_or(s.len(), |(i, _)| i)]) } else { s }
    };
    if expect.get("ok") == Some(&Value::Bool(true)) {
        return match got {
            Ok(_) => Ok(()),
            Err(e) => Err(format!("expected success, got {}", short(e))),
        };
    }
    let error = match (expect.get("slot").and_then(Value::as_u64), expect.get("step").and_then(Value::as_u64), got) {
        (Some(i), _, Ok(out)) => match out.get(i as usize) {
            Some(slot) if slot["ok"] == false => slot["error"].clone(),
            other => return Err(format!("expected slot {i} to fail, got {}", short(other.unwrap_or(&Value::Null)))),
        },
        // A Matcher step: the error it threw, or the first error of the page it returned.
        (None, Some(i), Ok(out)) => match out.get(i as usize) {
            Some(step) if step.get("error").is_some() => step["error"].clone(),
            Some(step) if step["errors"].get(0).is_some() => step["errors"][0].clone(),
            other => return Err(format!("expected step {i} to give an error, got {}", short(other.unwrap_or(&Value::Null)))),
        },
        (Some(_), _, Err(e)) | (None, Some(_), Err(e)) => return Err(format!("expected a result with an error in it, the call threw {}", short(e))),
        (None, None, Ok(v)) => return Err(format!("expected an error, got {}", short(v))),
        (None, None, Err(e)) => e.clone(),
    };
    let mut why = Vec::new();
    if error["name"] != "SyncError" {
        why.push(format!("name {}", error["name"]));
    }
    if error["message"].as_str().is_none_or(|m| m.is_empty()) {
        why.push("no message".to_string());
    }
    if let Some(code) = expect.get("code") {
        if &error["code"] != code {
            why.push(format!("code {} (expected {code})", error["code"]));
        }
    }
    let path = error["path"].as_str().unwrap_or("<none>");
    if let Some(want) = expect.get("path").and_then(Value::as_str) {
        if path != want {
            why.push(format!("path {path:?} (expected {want:?})"));
        }
    }
    if let Some(prefix) = expect.get("path_prefix").and_then(Value::as_str) {
        if !path.starts_with(prefix) {
            why.push(format!("path {:?} (expected it to start with {prefix:?})", &path[..path.len().min(120)]));
        }
    }
    if why.is_empty() { Ok(()) } else { Err(format!("{} — error was {}", why.join(", "), short(&error))) }
}

/// A call that must succeed after every case, on the same driver: the same function, with good input.
fn good_call(func: &str, t: &Map<String, Value>) -> Vec<Value> {
    let contact = t["contact"].clone();
    match func {
        "toChargebee" => vec![json!("contact-customer"), contact, Value::Null],
        "toCustomerp" => vec![json!("contact-customer"), t["cb_customer"].clone(), Value::Null],
        "match" => vec![json!("contact-customer"), json!([contact]), json!([t["cb_customer"]]), Value::Null],
        "planBatch" => vec![json!("contact-customer"), json!([{"customerp": contact}]), Value::Null],
        "planUndo" => vec![json!("contact-customer"), json!({"customerp": contact, "chargebee": t["cb_customer"], "base": t["contact_base"]}),
            json!({"release": "chargebee"}), Value::Null],
        "Matcher" => vec![json!("contact-customer"), json!([{"customerp": [contact]}, {"chargebee": [t["cb_customer"]]}, {"finish": true}]), Value::Null],
        "encodeForm" => vec![json!({"first_name": "Åse", "billing_address": {"city": "Oslo"}})],
        "dataflowDocument" => vec![json!("markdown")],
        _ => vec![json!("contact-customer"), json!({"customerp": contact}), Value::Null],
    }
}

#[cfg(target_arch = "wasm32")]
fn prototype_snapshot() -> Vec<String> {
    let names = js_sys::Object::get_own_property_names(&js_sys::Object::get_prototype_of(&js_sys::Object::new()));
    let mut out: Vec<String> = names.iter().filter_map(|n| n.as_string()).collect();
    out.sort();
    out
}

#[cfg(target_arch = "wasm32")]
fn assert_prototype_clean(before: &[String], case: &str) {
    assert_eq!(prototype_snapshot(), before, "{case}: Object.prototype gained or lost properties");
    let probe = js_sys::Object::new();
    for key in ["polluted", "readOnly", "x"] {
        let v = js_sys::Reflect::get(&probe, &key.into()).unwrap();
        assert!(v.is_undefined(), "{case}: a fresh object inherits {key:?}");
    }
}

/// Runs every case of the corpus on `d`. A case marked `known_bug` is run and reported, and fails
/// the run only if it has started to pass (so the mark is removed once the bug is fixed).
pub fn bad_input_corpus(d: &dyn Driver) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json") && n != "templates.json")
            .collect();
        on_disk.sort();
        let listed: Vec<String> = CASES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(on_disk, listed, "tests/common/corpus.rs must list exactly the files of tests/corpus");
    }
    let templates: Map<String, Value> = serde_json::from_str(TEMPLATES).expect("templates.json");
    #[cfg(target_arch = "wasm32")]
    let proto = prototype_snapshot();
    let kind = driver_kind();
    let (mut passed, mut skipped, mut failures, mut known, mut fixed) = (0, 0, Vec::new(), Vec::new(), Vec::new());
    for (file, text) in CASES {
        let case: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let label = format!("{file} ({})", case["name"].as_str().unwrap_or("?"));
        if let Some(drivers) = case.get("drivers").and_then(Value::as_array) {
            if !drivers.iter().any(|x| x == kind) {
                skipped += 1;
                continue;
            }
        }
        let func = case["fn"].as_str().expect("fn");
        let mut raws = Vec::new();
        let args: Vec<Value> = case["args"].as_array().expect("args").iter().map(|a| expand(a, &templates, &mut raws)).collect();
        let expect = case.get(format!("expect_{kind}")).unwrap_or(&case["expect"]);
        let got = if raws.is_empty() { d.call(func, args) } else { d.call_text(func, args.iter().map(|a| as_text(a, &raws)).collect()) };
        match (check(expect, &got), case.get("known_bug").and_then(Value::as_str)) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some(_)) => fixed.push(label.clone()),
            (Err(why), Some(bug)) => known.push(format!("{label}: {bug}\n      now: {why}")),
            (Err(why), None) => failures.push(format!("{label}: {why}")),
        }
        #[cfg(target_arch = "wasm32")]
        assert_prototype_clean(&proto, &label);
        // The instance keeps working: the same function with good input, and a plan.
        for f in [func, "plan"] {
            if let Err(e) = d.call(f, good_call(f, &templates)) {
                panic!("{label}: the next call ({f}) failed: {e}");
            }
        }
    }
    println!(
        "bad-input corpus on {kind}: {} cases, {passed} as documented, {skipped} not for this driver, {} known bugs",
        CASES.len(),
        known.len()
    );
    for k in &known {
        println!("  known bug (skipped): {k}");
    }
    assert!(failures.is_empty(), "{} corpus cases failed:\n  {}", failures.len(), failures.join("\n  "));
    assert!(fixed.is_empty(), "marked known_bug but now as documented (remove the mark):\n  {}", fixed.join("\n  "));
}
