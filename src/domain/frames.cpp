// SPDX-License-Identifier: Apache-2.0
#include "domain/frames.h"

#include "protocol/codec.h"
#include "protocol/guid.h"

namespace presence {
namespace {

using protocol::Message;
using protocol::Method;

Method method_of(Change change) {
    switch (change) {
    case Change::member_new: return Method::member_new;
    case Change::member_remove: return Method::member_remove;
    case Change::channel_member_new: return Method::channel_member_new;
    case Change::channel_member_remove: break;
    }
    return Method::channel_member_remove;
}

}  // namespace

Message message_of(Method method) {
    Message m;
    m.method = method;
    return m;
}

std::shared_ptr<Frame> Frames::make(Message message) const {
    if (options_.ack.enabled) message.id = protocol::new_guid();
    auto frame = std::make_shared<Frame>();
    frame->bytes = protocol::encode(message, options_.encode_base64);
    frame->ack_id = std::move(message.id);
    return frame;
}

Bytes Frames::aside(const Message& message) const {
    return std::make_shared<const std::string>(protocol::encode(message, options_.encode_base64));
}

std::shared_ptr<Frame> Frames::change(Change change, const Member& member, std::string_view channel,
                                      View view) const {
    Message announce = message_of(method_of(change));
    announce.member = member;
    if (!channel.empty()) announce.channel = std::string(channel);
    auto frame = make(std::move(announce));
    frame->view = view;
    frame->about = member.id;
    frame->channel = std::string(channel);
    frame->of_user = !member.user.empty();
    return frame;
}

std::shared_ptr<Frame> Frames::update(const Member& member) const {
    Message announce = message_of(Method::update_member);
    announce.member = member;
    auto frame = make(std::move(announce));
    frame->view = View::update;
    frame->about = member.id;
    return frame;
}

}  // namespace presence
