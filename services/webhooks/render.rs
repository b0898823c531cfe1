//! A delivery's body: the event as proto3 JSON (the canonical JSON mapping
//! of `ApplicationEvent`, from the service's own descriptors), as a
//! stream's client would decode it.

use bytes::Bytes;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

use crate::domain::event::ApplicationEvent;
use crate::domain::{Error, Result};

/// Turns events into JSON bodies.
#[derive(Clone)]
pub struct Renderer {
    event: MessageDescriptor,
}

impl Renderer {
    pub fn new() -> Result<Self> {
        let pool = DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET)
            .map_err(|e| Error::internal(format!("the service's descriptors do not decode: {e}")))?;
        let event = pool
            .get_message_by_name("gba.grants.v1.ApplicationEvent")
            .ok_or_else(|| Error::internal("ApplicationEvent is missing from the descriptors"))?;
        Ok(Self { event })
    }

    /// The body of a delivery of `event` (already in its key's view).
    pub fn body(&self, event: ApplicationEvent) -> Result<Bytes> {
        let message = crate::api::convert::application::event_out(event);
        let dynamic = DynamicMessage::decode(self.event.clone(), message.encode_to_vec().as_slice())
            .map_err(|e| Error::internal(format!("an event does not transcode: {e}")))?;
        serde_json::to_vec(&dynamic)
            .map(Bytes::from)
            .map_err(|e| Error::internal(format!("an event does not encode as JSON: {e}")))
    }
}
