//! Request and response messages: headers, batch items, and staged decoding.
//!
//! Decoding is staged so that a server can always answer. [`decode_request`] fails only when
//! the message cannot be framed or its header does not decode; past that, each batch item
//! decodes on its own, and one that fails becomes an [`ItemError`] carrying what could be
//! read of it (operation, batch item id) for the failed batch item of the response.
//!
//! > KMIP 1.4 §7.1: "The response to a request with Batch Order Option ... the server SHALL
//! > return a Response Message containing ... a Batch Item for each Request Batch Item".

use ttlv::dict::{AttestationType, BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use ttlv::{DecodeContext, DecodeError, DecodeErrorKind, Field, Item, Limits, Tag};

use crate::ProtocolVersion;
use crate::codec::{DateTime, Decode, Encode, Encoder, kmip_struct, missing, put_once, read_fields};
use crate::payload::{RequestPayload, ResponsePayload};

kmip_struct! {
    /// Request Header (KMIP 1.4 §7.2).
    pub struct RequestHeader {
        /// Protocol Version.
        pub protocol_version: req ProtocolVersion = PROTOCOL_VERSION,
        /// Maximum Response Size, in bytes.
        pub maximum_response_size: opt i32 = MAXIMUM_RESPONSE_SIZE,
        /// Client Correlation Value (1.4 and later).
        pub client_correlation_value: opt String = CLIENT_CORRELATION_VALUE,
        /// Server Correlation Value (1.4 and later).
        pub server_correlation_value: opt String = SERVER_CORRELATION_VALUE,
        /// Asynchronous Indicator.
        pub asynchronous_indicator: opt bool = ASYNCHRONOUS_INDICATOR,
        /// Attestation Capable Indicator (1.2 and later).
        pub attestation_capable_indicator: opt bool = ATTESTATION_CAPABLE_INDICATOR,
        /// Attestation Types.
        pub attestation_types: many AttestationType = ATTESTATION_TYPE,
        /// Authentication (credentials; `Item`'s `Debug` redacts passwords).
        pub authentication: opt Item = AUTHENTICATION,
        /// Batch Error Continuation Option.
        pub batch_error_continuation_option: opt BatchErrorContinuationOption = BATCH_ERROR_CONTINUATION_OPTION,
        /// Batch Order Option: whether items must run in order.
        pub batch_order_option: opt bool = BATCH_ORDER_OPTION,
        /// Time Stamp.
        pub time_stamp: opt DateTime = TIME_STAMP,
        /// Batch Count.
        pub batch_count: req i32 = BATCH_COUNT,
    }
}

kmip_struct! {
    /// Response Header (KMIP 1.4 §7.2).
    pub struct ResponseHeader {
        /// Protocol Version: the request's.
        pub protocol_version: req ProtocolVersion = PROTOCOL_VERSION,
        /// Time Stamp.
        pub time_stamp: req DateTime = TIME_STAMP,
        /// Nonce (1.2 and later).
        pub nonce: opt Item = NONCE,
        /// Server Hashed Password (2.0 and later).
        pub server_hashed_password: opt Vec<u8> = SERVER_HASHED_PASSWORD,
        /// Attestation Types the server requires.
        pub attestation_types: many AttestationType = ATTESTATION_TYPE,
        /// Client Correlation Value, echoed.
        pub client_correlation_value: opt String = CLIENT_CORRELATION_VALUE,
        /// Server Correlation Value.
        pub server_correlation_value: opt String = SERVER_CORRELATION_VALUE,
        /// Batch Count.
        pub batch_count: req i32 = BATCH_COUNT,
    }
}

/// One operation of a request.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestBatchItem {
    /// Operation.
    pub operation: Operation,
    /// Ephemeral (2.0 and later): do not keep the objects this item creates.
    pub ephemeral: Option<bool>,
    /// Unique Batch Item ID, required when a batch has more than one item.
    pub unique_batch_item_id: Option<Vec<u8>>,
    /// The payload.
    pub payload: RequestPayload,
    /// Message Extensions.
    pub message_extensions: Vec<Item>,
}

/// A batch item that did not decode, with what could be read of it.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemError {
    /// The operation, if it was read.
    pub operation: Option<Operation>,
    /// The batch item id, if it was read.
    pub unique_batch_item_id: Option<Vec<u8>>,
    /// What went wrong.
    pub error: DecodeError,
}

impl RequestBatchItem {
    /// Decodes one batch item; on failure keeps its operation and id for the error reply.
    pub fn decode_lenient(field: Field<'_>) -> Result<Self, ItemError> {
        let (parent, offset) = (field.tag, field.offset);
        let mut operation: Option<Operation> = None;
        let mut ephemeral = None;
        let mut id: Option<Vec<u8>> = None;
        let mut payload = None;
        let mut extensions = Vec::new();
        let result = read_fields(field, |f| match f.tag {
            Tag::OPERATION => put_once(&mut operation, f),
            Tag::EPHEMERAL => put_once(&mut ephemeral, f),
            Tag::UNIQUE_BATCH_ITEM_ID => put_once(&mut id, f),
            Tag::REQUEST_PAYLOAD => {
                // > KMIP 1.4 §7.2: the Operation precedes the Request Payload.
                let op = operation.ok_or_else(|| missing(parent, Tag::OPERATION, f.offset))?;
                payload = Some(RequestPayload::decode(op, f)?);
                Ok(true)
            }
            Tag::MESSAGE_EXTENSION => {
                extensions.push(f.into_item()?);
                Ok(true)
            }
            _ => Ok(false),
        });
        let fail = |error| ItemError { operation, unique_batch_item_id: id.clone(), error };
        if let Err(error) = result {
            return Err(fail(error));
        }
        let Some(op) = operation else {
            return Err(fail(missing(parent, Tag::OPERATION, offset)));
        };
        let payload = match payload {
            Some(p) => p,
            None => return Err(fail(missing(parent, Tag::REQUEST_PAYLOAD, offset))),
        };
        Ok(RequestBatchItem {
            operation: op,
            ephemeral,
            unique_batch_item_id: id,
            payload,
            message_extensions: extensions,
        })
    }
}

impl Encode for RequestBatchItem {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            self.operation.encode(Tag::OPERATION, e);
            e.opt(Tag::EPHEMERAL, &self.ephemeral);
            e.opt(Tag::UNIQUE_BATCH_ITEM_ID, &self.unique_batch_item_id);
            self.payload.encode_payload(e);
            e.many(Tag::MESSAGE_EXTENSION, &self.message_extensions);
        });
    }
}

/// A request message.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestMessage {
    /// The header.
    pub header: RequestHeader,
    /// The batch items, in order.
    pub items: Vec<RequestBatchItem>,
}

/// A request whose header decoded: the batch items each decoded or failed on their own.
#[derive(Debug)]
pub struct DecodedRequest {
    /// The header.
    pub header: RequestHeader,
    /// The batch items, in order.
    pub items: Vec<Result<RequestBatchItem, ItemError>>,
}

/// Decodes a request in stages: the whole call fails only when the bytes do not frame as a
/// Request Message or its header does not decode.
pub fn decode_request(bytes: &[u8], limits: &Limits) -> Result<DecodedRequest, DecodeError> {
    let ctx = DecodeContext::new(*limits);
    let mut reader = ctx.reader(bytes)?;
    let message = reader
        .next_field()?
        .ok_or(DecodeError::new(DecodeErrorKind::Truncated { needed: ttlv::HEADER_LEN, available: 0 }, 0))?;
    if !reader.is_empty() {
        return Err(DecodeError::new(DecodeErrorKind::TrailingBytes(bytes.len() - reader.offset()), reader.offset()));
    }
    if message.tag != Tag::REQUEST_MESSAGE {
        return Err(message.error(DecodeErrorKind::UnexpectedTag(message.tag)));
    }
    let offset = message.offset;
    let mut header: Option<RequestHeader> = None;
    let mut items: Vec<Result<RequestBatchItem, ItemError>> = Vec::new();
    read_fields(message, |f| match f.tag {
        Tag::REQUEST_HEADER => put_once(&mut header, f),
        Tag::BATCH_ITEM => {
            items.push(
                RequestBatchItem::decode_lenient(f)
                    .map_err(|e| ItemError { error: e.error.within(Tag::REQUEST_MESSAGE), ..e }),
            );
            Ok(true)
        }
        _ => Ok(false),
    })?;
    let header = header.ok_or_else(|| missing(Tag::REQUEST_MESSAGE, Tag::REQUEST_HEADER, offset))?;
    // > KMIP 2.0 §5 (changes from 1.4): "Attribute Index ... removed". A 2.x message that
    // > carries one anyway is read as if it did not, so that the model holds only what the
    // > message's version can say.
    if header.protocol_version.is_2x() {
        for item in items.iter_mut().flatten() {
            item.payload.clear_attribute_indexes();
        }
    }
    Ok(DecodedRequest { header, items })
}

impl RequestMessage {
    /// A request of `operations` in `version`, as clients send them: one batch item each,
    /// with Unique Batch Item IDs and ordered processing when there are several.
    pub fn new(version: ProtocolVersion, operations: Vec<(Operation, RequestPayload)>) -> Self {
        let several = operations.len() > 1;
        RequestMessage {
            header: RequestHeader {
                protocol_version: version,
                maximum_response_size: None,
                client_correlation_value: None,
                server_correlation_value: None,
                asynchronous_indicator: None,
                attestation_capable_indicator: None,
                attestation_types: Vec::new(),
                authentication: None,
                batch_error_continuation_option: None,
                batch_order_option: several.then_some(true),
                time_stamp: None,
                batch_count: operations.len() as i32,
            },
            items: operations
                .into_iter()
                .enumerate()
                .map(|(i, (operation, payload))| RequestBatchItem {
                    operation,
                    ephemeral: None,
                    unique_batch_item_id: several.then(|| vec![i as u8 + 1]),
                    payload,
                    message_extensions: Vec::new(),
                })
                .collect(),
        }
    }

    /// Decodes a request, failing if any batch item fails (for clients and tests; a server
    /// uses [`decode_request`]).
    pub fn from_ttlv(bytes: &[u8], limits: &Limits) -> Result<Self, DecodeError> {
        let decoded = decode_request(bytes, limits)?;
        let items = decoded.items.into_iter().map(|i| i.map_err(|e| e.error)).collect::<Result<_, _>>()?;
        Ok(RequestMessage { header: decoded.header, items })
    }

    /// Encodes the request in the shapes of its header's protocol version.
    pub fn to_ttlv(&self) -> Vec<u8> {
        let mut e = Encoder::new(self.header.protocol_version);
        e.structure(Tag::REQUEST_MESSAGE, |e| {
            self.header.encode(Tag::REQUEST_HEADER, e);
            e.many(Tag::BATCH_ITEM, &self.items);
        });
        e.into_bytes()
    }
}

/// The outcome of one operation.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseBatchItem {
    /// Operation; required when the request's item had one.
    pub operation: Option<Operation>,
    /// Unique Batch Item ID, echoed.
    pub unique_batch_item_id: Option<Vec<u8>>,
    /// Result Status.
    pub result_status: ResultStatus,
    /// Result Reason, when the status is not Success.
    pub result_reason: Option<ResultReason>,
    /// Result Message, when the status is not Success.
    pub result_message: Option<String>,
    /// Asynchronous Correlation Value, when the status is Pending.
    pub asynchronous_correlation_value: Option<Vec<u8>>,
    /// The payload, on success.
    pub payload: Option<ResponsePayload>,
    /// Message Extensions.
    pub message_extensions: Vec<Item>,
}

impl ResponseBatchItem {
    /// A successful item.
    pub fn success(operation: Operation, id: Option<Vec<u8>>, payload: ResponsePayload) -> Self {
        ResponseBatchItem {
            operation: Some(operation),
            unique_batch_item_id: id,
            result_status: ResultStatus::SUCCESS,
            result_reason: None,
            result_message: None,
            asynchronous_correlation_value: None,
            payload: Some(payload),
            message_extensions: Vec::new(),
        }
    }

    /// A failed item.
    pub fn failure(operation: Option<Operation>, id: Option<Vec<u8>>, reason: ResultReason, message: String) -> Self {
        ResponseBatchItem {
            operation,
            unique_batch_item_id: id,
            result_status: ResultStatus::OPERATION_FAILED,
            result_reason: Some(reason),
            result_message: Some(message),
            asynchronous_correlation_value: None,
            payload: None,
            message_extensions: Vec::new(),
        }
    }
}

impl Decode for ResponseBatchItem {
    fn decode(field: Field<'_>) -> Result<Self, DecodeError> {
        let (parent, offset) = (field.tag, field.offset);
        let mut operation: Option<Operation> = None;
        let (mut id, mut status, mut reason, mut message, mut correlation) = (None, None, None, None, None);
        let mut payload = None;
        let mut extensions = Vec::new();
        read_fields(field, |f| match f.tag {
            Tag::OPERATION => put_once(&mut operation, f),
            Tag::UNIQUE_BATCH_ITEM_ID => put_once(&mut id, f),
            Tag::RESULT_STATUS => put_once(&mut status, f),
            Tag::RESULT_REASON => put_once(&mut reason, f),
            Tag::RESULT_MESSAGE => put_once(&mut message, f),
            Tag::ASYNCHRONOUS_CORRELATION_VALUE => put_once(&mut correlation, f),
            Tag::RESPONSE_PAYLOAD => {
                payload = Some(match operation {
                    Some(op) => ResponsePayload::decode(op, f)?,
                    None => ResponsePayload::Other(f.into_item()?),
                });
                Ok(true)
            }
            Tag::MESSAGE_EXTENSION => {
                extensions.push(f.into_item()?);
                Ok(true)
            }
            _ => Ok(false),
        })?;
        Ok(ResponseBatchItem {
            operation,
            unique_batch_item_id: id,
            result_status: status.ok_or_else(|| missing(parent, Tag::RESULT_STATUS, offset))?,
            result_reason: reason,
            result_message: message,
            asynchronous_correlation_value: correlation,
            payload,
            message_extensions: extensions,
        })
    }
}

impl Encode for ResponseBatchItem {
    fn encode(&self, tag: Tag, e: &mut Encoder) {
        e.structure(tag, |e| {
            e.opt(Tag::OPERATION, &self.operation);
            e.opt(Tag::UNIQUE_BATCH_ITEM_ID, &self.unique_batch_item_id);
            self.result_status.encode(Tag::RESULT_STATUS, e);
            e.opt(Tag::RESULT_REASON, &self.result_reason);
            e.opt(Tag::RESULT_MESSAGE, &self.result_message);
            e.opt(Tag::ASYNCHRONOUS_CORRELATION_VALUE, &self.asynchronous_correlation_value);
            if let Some(payload) = &self.payload {
                payload.encode_payload(e);
            }
            e.many(Tag::MESSAGE_EXTENSION, &self.message_extensions);
        });
    }
}

kmip_struct! {
    /// A response message.
    pub struct ResponseMessage {
        /// The header.
        pub header: req ResponseHeader = RESPONSE_HEADER,
        /// The batch items, in the request's order.
        pub items: many ResponseBatchItem = BATCH_ITEM,
    }
}

impl ResponseMessage {
    /// Decodes a response.
    pub fn from_ttlv(bytes: &[u8], limits: &Limits) -> Result<Self, DecodeError> {
        let ctx = DecodeContext::new(*limits);
        let mut reader = ctx.reader(bytes)?;
        let field = reader
            .next_field()?
            .ok_or(DecodeError::new(DecodeErrorKind::Truncated { needed: ttlv::HEADER_LEN, available: 0 }, 0))?;
        if field.tag != Tag::RESPONSE_MESSAGE {
            return Err(field.error(DecodeErrorKind::UnexpectedTag(field.tag)));
        }
        if !reader.is_empty() {
            return Err(DecodeError::new(
                DecodeErrorKind::TrailingBytes(bytes.len() - reader.offset()),
                reader.offset(),
            ));
        }
        Self::decode(field)
    }

    /// Encodes the response in the shapes of its header's protocol version.
    pub fn to_ttlv(&self) -> Vec<u8> {
        let mut e = Encoder::new(self.header.protocol_version);
        self.encode(Tag::RESPONSE_MESSAGE, &mut e);
        e.into_bytes()
    }
}
