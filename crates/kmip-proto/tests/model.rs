//! The message model's own behaviour: the 1.x/2.x attribute conversion, staged decoding, and
//! secrets that never print.

use kmip_proto::dict::{CryptographicAlgorithm, NameType, ObjectType, Operation, ResultReason};
use kmip_proto::{
    AttributeName, Name, ProtocolVersion, RequestMessage, RequestPayload, ResponseBatchItem, decode_request,
};
use kmip_text::{NoPlaceholders, from_xml, to_xml};
use ttlv::{Limits, Tag, Value, encode_item};

const CREATE_1X: &str = r#"
<RequestMessage>
  <RequestHeader>
    <ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="0"/></ProtocolVersion>
    <BatchCount type="Integer" value="1"/>
  </RequestHeader>
  <BatchItem>
    <Operation type="Enumeration" value="Create"/>
    <RequestPayload>
      <ObjectType type="Enumeration" value="SymmetricKey"/>
      <TemplateAttribute>
        <Attribute>
          <AttributeName type="TextString" value="Cryptographic Algorithm"/>
          <AttributeValue type="Enumeration" value="AES"/>
        </Attribute>
        <Attribute>
          <AttributeName type="TextString" value="Name"/>
          <AttributeValue>
            <NameValue type="TextString" value="qumulo-master"/>
            <NameType type="Enumeration" value="UninterpretedTextString"/>
          </AttributeValue>
        </Attribute>
        <Attribute>
          <AttributeName type="TextString" value="x-Vendor"/>
          <AttributeValue type="TextString" value="VMware vSphere"/>
        </Attribute>
      </TemplateAttribute>
    </RequestPayload>
  </BatchItem>
</RequestMessage>"#;

fn ttlv_of(xml: &str) -> Vec<u8> {
    encode_item(&from_xml(xml, &mut NoPlaceholders).expect("test XML parses"))
}

#[test]
fn attributes_convert_between_1x_and_2x_shapes() {
    let v1 = RequestMessage::from_ttlv(&ttlv_of(CREATE_1X), &Limits::default()).expect("decodes");
    let RequestPayload::Create(create) = &v1.items[0].payload else { panic!("a Create payload") };
    assert_eq!(create.object_type, ObjectType::SYMMETRIC_KEY);
    let alg = create.attributes.get(Tag::CRYPTOGRAPHIC_ALGORITHM).expect("algorithm");
    assert_eq!(alg.value.value, Value::Enumeration(CryptographicAlgorithm::AES.0));
    let name: Name =
        kmip_proto::attribute::typed_value(&create.attributes.get(Tag::NAME).expect("name").value).expect("a Name");
    assert_eq!(name, Name { value: "qumulo-master".into(), name_type: NameType::UNINTERPRETED_TEXT_STRING });
    assert_eq!(create.attributes.list[2].name, AttributeName::Custom { vendor: "x".into(), name: "Vendor".into() });

    // The same request written as 2.1: an Attributes structure of tagged items, and the
    // vendor attribute as a Vendor Identification / Attribute Name pair.
    let mut v2 = v1.clone();
    v2.header.protocol_version = ProtocolVersion::V2_1;
    let xml = to_xml(&ttlv::decode_item(&v2.to_ttlv(), &Limits::default()).expect("valid TTLV"));
    assert!(xml.contains("<Attributes>"), "{xml}");
    assert!(xml.contains(r#"<CryptographicAlgorithm type="Enumeration" value="AES"/>"#), "{xml}");
    assert!(xml.contains(r#"<VendorIdentification type="TextString" value="x"/>"#), "{xml}");
    assert!(!xml.contains("TemplateAttribute"), "{xml}");

    // And back: decoding the 2.1 form gives the same typed request.
    let back = RequestMessage::from_ttlv(&v2.to_ttlv(), &Limits::default()).expect("decodes");
    assert_eq!(back.items, v1.items);
    // Writing it as 1.0 again gives the original bytes.
    assert_eq!(back.items[0].payload, v1.items[0].payload);
    let mut again = back;
    again.header.protocol_version = ProtocolVersion::V1_0;
    assert_eq!(again.to_ttlv(), ttlv_of(CREATE_1X));
}

#[test]
fn a_bad_batch_item_fails_alone() {
    let xml = r#"
<RequestMessage>
  <RequestHeader>
    <ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="4"/></ProtocolVersion>
    <BatchCount type="Integer" value="2"/>
  </RequestHeader>
  <BatchItem>
    <Operation type="Enumeration" value="Activate"/>
    <UniqueBatchItemID type="ByteString" value="01"/>
    <RequestPayload><UniqueIdentifier type="TextString" value="1"/></RequestPayload>
  </BatchItem>
  <BatchItem>
    <Operation type="Enumeration" value="Get"/>
    <UniqueBatchItemID type="ByteString" value="02"/>
    <RequestPayload><UniqueIdentifier type="Integer" value="7"/></RequestPayload>
  </BatchItem>
</RequestMessage>"#;
    let decoded = decode_request(&ttlv_of(xml), &Limits::default()).expect("the header decodes");
    assert_eq!(decoded.header.batch_count, 2);
    assert!(decoded.items[0].is_ok());
    let err = decoded.items[1].as_ref().expect_err("wrong type");
    assert_eq!(err.operation, Some(Operation::GET));
    assert_eq!(err.unique_batch_item_id.as_deref(), Some(&[2u8][..]));
    assert_eq!(err.error.path, [Tag::REQUEST_MESSAGE, Tag::BATCH_ITEM, Tag::REQUEST_PAYLOAD, Tag::UNIQUE_IDENTIFIER]);
    let reply = ResponseBatchItem::failure(
        err.operation,
        err.unique_batch_item_id.clone(),
        ResultReason::INVALID_FIELD,
        err.error.to_string(),
    );
    assert_eq!(reply.result_reason, Some(ResultReason::INVALID_FIELD));
}

#[test]
fn a_message_without_a_header_fails_whole() {
    let xml = r#"<RequestMessage><BatchItem><Operation type="Enumeration" value="Query"/><RequestPayload/></BatchItem></RequestMessage>"#;
    let err = decode_request(&ttlv_of(xml), &Limits::default()).expect_err("no header");
    assert!(err.to_string().contains("missing required field RequestHeader"), "{err}");
}

#[test]
fn key_material_does_not_print() {
    let xml = r#"
<RequestMessage>
  <RequestHeader>
    <ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="2"/></ProtocolVersion>
    <BatchCount type="Integer" value="1"/>
  </RequestHeader>
  <BatchItem>
    <Operation type="Enumeration" value="Register"/>
    <RequestPayload>
      <ObjectType type="Enumeration" value="SymmetricKey"/>
      <TemplateAttribute/>
      <SymmetricKey><KeyBlock>
        <KeyFormatType type="Enumeration" value="Raw"/>
        <KeyValue><KeyMaterial type="ByteString" value="c0ffeec0ffeec0ffeec0ffeec0ffee00"/></KeyValue>
        <CryptographicAlgorithm type="Enumeration" value="AES"/>
        <CryptographicLength type="Integer" value="128"/>
      </KeyBlock></SymmetricKey>
    </RequestPayload>
  </BatchItem>
</RequestMessage>"#;
    let message = RequestMessage::from_ttlv(&ttlv_of(xml), &Limits::default()).expect("decodes");
    let printed = format!("{message:?}");
    assert!(!printed.contains("c0ffee") && !printed.contains("192, 255"), "{printed}");
    assert!(printed.contains("SecretBytes(<16 bytes>)"), "{printed}");
}
