//! Unit tests for the transport-free parts: the awsQuery mapping, receipt handles, XML.

use serde_json::json;

use super::wire;
use crate::protocol::query::Params;

#[test]
fn query_parameters_become_the_json_shape() {
    let body = b"Action=SendMessageBatch&QueueUrl=http%3A%2F%2Fh%2F111111111111%2Fq\
&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=hi\
&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String\
&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v\
&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=yo&SendMessageBatchRequestEntry.2.DelaySeconds=5";
    let v = wire::query_input(&Params::parse(body, ""));
    assert_eq!(
        v,
        json!({
            "QueueUrl": "http://h/111111111111/q",
            "Entries": [
                {"Id": "a", "MessageBody": "hi", "MessageAttributes": {"n": {"DataType": "String", "StringValue": "v"}}},
                {"Id": "b", "MessageBody": "yo", "DelaySeconds": "5"}
            ]
        })
    );
    let v = wire::query_input(&Params::parse(b"Action=CreateQueue&QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=3&Tag.1.Key=k&Tag.1.Value=v&AttributeName.1=All", ""));
    assert_eq!(v, json!({"QueueName": "q", "Attributes": {"DelaySeconds": "3"}, "tags": {"k": "v"}, "AttributeNames": ["All"]}));
}

#[test]
fn json_output_renders_as_sqs_xml() {
    let out = json!({"Messages": [{"MessageId": "m", "Body": "b<", "Attributes": {"SentTimestamp": "1"}, "MessageAttributes": {"n": {"DataType": "String", "StringValue": "v"}}}]});
    assert_eq!(
        wire::render("ReceiveMessage", &out),
        "<Message><Attributes-placeholder/></Message>".replace("<Attributes-placeholder/>", "<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute><Body>b&lt;</Body><MessageAttribute><Name>n</Name><Value><DataType>String</DataType><StringValue>v</StringValue></Value></MessageAttribute><MessageId>m</MessageId>")
    );
    let out = json!({"Successful": [{"Id": "a"}], "Failed": []});
    assert_eq!(wire::render("DeleteMessageBatch", &out), "<DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry>");
}

#[test]
fn json_error_types_are_the_model_shapes() {
    assert_eq!(super::json_error_type("AWS.SimpleQueueService.NonExistentQueue"), "com.amazonaws.sqs#QueueDoesNotExist");
    assert_eq!(super::json_error_type("QueueAlreadyExists"), "com.amazonaws.sqs#QueueNameExists");
    assert_eq!(super::json_error_type("AccessDenied"), "AccessDenied");
}

#[test]
fn records_load_back_into_queues_messages_and_leases() {
    use super::model::*;
    let id: QueueId = ("111111111111".into(), "us-east-1".into(), "q".into());
    let rec = QueueRecord { account: id.0.clone(), region: id.1.clone(), name: id.2.clone(), created: 1, modified: 1, attributes: Default::default(), tags: Default::default() };
    let msg = MessageRecord {
        id: "m".into(),
        body: "b".into(),
        attrs: Default::default(),
        sender: "s".into(),
        sent: 5,
        available: 5,
        group: Some("g".into()),
        dedup: Some("d".into()),
        trace_header: None,
        dlq_source: None,
        sequence: None,
    };
    let lease = Delivery { count: 2, visible: 99, first: Some(7), token: "t".into() };
    let mut st = super::SqsState::default();
    // In store order: the queue, its message, then the message's delivery state.
    st.load_record(&queue_key(&id), &serde_json::to_vec(&rec).unwrap()).unwrap();
    st.load_record(&message_key(&id, 7), &serde_json::to_vec(&msg).unwrap()).unwrap();
    st.load_record(&delivery_key(&id, 7), &serde_json::to_vec(&lease).unwrap()).unwrap();
    let q = &st.queues[&id];
    assert_eq!(q.next_seq, 8);
    assert_eq!(q.messages[&7].delivery, lease);
    assert!(q.messages[&7].in_flight(50) && !q.messages[&7].in_flight(100));
    assert_eq!(q.dedup["d"].1, "m");
}
