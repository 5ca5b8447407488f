//! Inputs the fuzzers found, kept so the bugs stay fixed. Each file is named after what it
//! broke.

#[test]
fn unknown_tag_in_a_template_attribute_is_refused_not_renamed() {
    // A 1.x Template-Attribute holding an item with a tag no attribute has (0x424008): it was
    // taken for a 2.x attribute and came back from a 1.x re-encode as a vendor attribute.
    let bytes = include_bytes!("data/fuzz-unknown-tag-in-template-attribute.bin");
    assert!(kmip_proto::__fuzz::request(bytes));
    let decoded = kmip_proto::decode_request(bytes, &ttlv::Limits::default()).expect("the header decodes");
    let err = decoded.items[0].as_ref().expect_err("the item is refused");
    assert_eq!(err.error.kind, ttlv::DecodeErrorKind::UnexpectedTag(ttlv::Tag(0x42_4008)));
}

#[test]
fn a_1x_name_with_an_empty_vendor_part_stays_a_vendor_attribute() {
    // The 1.x Attribute Name "-Description" was read as vendor "" and name "Description",
    // which a 1.x re-encode turned into the standard Description attribute.
    let bytes = include_bytes!("data/fuzz-vendorless-reference-to-standard-name.bin");
    assert!(kmip_proto::__fuzz::request(bytes));
}

#[test]
fn an_attribute_index_in_a_2x_message_is_ignored() {
    // A 2.1 Modify Attribute carrying a 1.x Attribute Index: the 2.x encoding has no place
    // for it, so the model must not hold it either.
    let bytes = include_bytes!("data/fuzz-attribute-index-in-2x.bin");
    assert!(kmip_proto::__fuzz::request(bytes));
}
