//! A delivery's body: the event as proto3 JSON (the canonical JSON mapping
//! of `ApplicationEvent`, from the service's own descriptors), as a
//! stream's client would decode it.

use bytes::Bytes;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

use crate::domain::application::View;
use crate::domain::event::ApplicationEvent;
use crate::domain::{Error, Result};

/// Bodies kept: enough for every webhook to find the events of the last
/// moments already rendered.
const KEPT: usize = 4_096;

/// Turns events into JSON bodies, each (event, view) once.
#[derive(Clone)]
pub struct Renderer {
    event: MessageDescriptor,
    kept: std::sync::Arc<std::sync::Mutex<Kept>>,
}

#[derive(Default)]
struct Kept {
    bodies: std::collections::HashMap<(i64, View), Bytes>,
    order: std::collections::VecDeque<(i64, View)>,
}

impl Renderer {
    pub fn new() -> Result<Self> {
        let pool = DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET)
            .map_err(|e| Error::internal(format!("the service's descriptors do not decode: {e}")))?;
        let event = pool
            .get_message_by_name("gba.grants.v1.ApplicationEvent")
            .ok_or_else(|| Error::internal("ApplicationEvent is missing from the descriptors"))?;
        Ok(Self {
            event,
            kept: Default::default(),
        })
    }

    /// The body of `event` (as read from the log) as `view` sees it,
    /// rendered once for every webhook of that view.
    pub fn body_in(&self, event: &ApplicationEvent, view: View) -> Result<Bytes> {
        let key = (event.cursor.seq, view);
        let lock = || self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(body) = lock().bodies.get(&key) {
            return Ok(body.clone());
        }
        let body = self.body(event.clone().in_view(view))?;
        let mut kept = lock();
        if kept.bodies.insert(key, body.clone()).is_none() {
            kept.order.push_back(key);
        }
        while kept.order.len() > KEPT {
            if let Some(old) = kept.order.pop_front() {
                kept.bodies.remove(&old);
            }
        }
        Ok(body)
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
