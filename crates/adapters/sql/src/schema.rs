//! The portable schema: the same `table!` definitions describe the Postgres and the SQLite
//! databases, because both migration trees use only types the two share (TEXT ids and JSON,
//! TIMESTAMP in UTC, BOOLEAN, BIGINT/INTEGER). Hand-written to match `migrations/`.

/// Tables of the central database.
pub mod central {
    diesel::table! {
        owners (id) {
            id -> Text,
            email -> Text,
            password_hash -> Text,
            whatsapp_number -> Nullable<Text>,
            created_at -> Timestamp,
        }
    }

    diesel::table! {
        stores (id) {
            id -> Text,
            owner_id -> Text,
            name -> Text,
            kind -> Text,
            currency -> Text,
            timezone -> Text,
            ai_enabled -> Bool,
            storefront_enabled -> Bool,
            default_account_id -> Nullable<Text>,
            tenant_backend -> Text,
            tenant_server -> Nullable<Text>,
            tenant_database -> Text,
            created_at -> Timestamp,
            updated_at -> Timestamp,
            whatsapp_business_number -> Nullable<Text>,
            whatsapp_business_id -> Nullable<Text>,
        }
    }

    diesel::table! {
        whatsapp_accounts (id) {
            id -> Text,
            store_id -> Text,
            phone_number -> Text,
            phone_number_id -> Text,
            waba_id -> Text,
            access_token -> Text,
            status -> Text,
            display_name -> Nullable<Text>,
            quality_rating -> Text,
            messaging_limits -> Text,
            verified_at -> Nullable<Timestamp>,
            last_webhook_at -> Nullable<Timestamp>,
            webhook_verification_token -> Nullable<Text>,
            meta -> Text,
            created_at -> Timestamp,
            updated_at -> Timestamp,
            deleted_at -> Nullable<Timestamp>,
        }
    }

    diesel::table! {
        webhook_inbox (id) {
            id -> BigInt,
            dedupe_key -> Text,
            field -> Text,
            route_kind -> Text,
            route_id -> Text,
            ordering_key -> Text,
            event_at -> Timestamp,
            payload -> Text,
            state -> Text,
            attempts -> Integer,
            available_at -> Timestamp,
            lease_owner -> Nullable<Text>,
            lease_until -> Nullable<Timestamp>,
            last_error -> Nullable<Text>,
            store_id -> Nullable<Text>,
            account_id -> Nullable<Text>,
            received_at -> Timestamp,
            processed_at -> Nullable<Timestamp>,
            fair_at -> Nullable<Timestamp>,
        }
    }

    diesel::table! {
        outbox (id) {
            id -> BigInt,
            idempotency_key -> Text,
            store_id -> Nullable<Text>,
            account_id -> Nullable<Text>,
            sender -> Text,
            recipient -> Text,
            message -> Text,
            initiator -> Text,
            window_ends_at -> Nullable<Timestamp>,
            tenant_message_id -> Nullable<Text>,
            state -> Text,
            attempts -> Integer,
            available_at -> Timestamp,
            lease_owner -> Nullable<Text>,
            lease_until -> Nullable<Timestamp>,
            wamid -> Nullable<Text>,
            error_code -> Nullable<Text>,
            error -> Nullable<Text>,
            created_at -> Timestamp,
            sent_at -> Nullable<Timestamp>,
        }
    }

    diesel::table! {
        sender_leases (sender) {
            sender -> Text,
            owner -> Text,
            lease_until -> Timestamp,
        }
    }

    diesel::table! {
        account_events (id) {
            id -> Text,
            account_id -> Nullable<Text>,
            store_id -> Nullable<Text>,
            waba_id -> Text,
            kind -> Text,
            detail -> Text,
            occurred_at -> Timestamp,
            recorded_at -> Timestamp,
        }
    }

    diesel::table! {
        owner_sessions (token_hash) {
            token_hash -> Text,
            owner_id -> Text,
            created_at -> Timestamp,
            expires_at -> Timestamp,
            revoked_at -> Nullable<Timestamp>,
        }
    }

    diesel::table! {
        oauth_states (nonce_hash) {
            nonce_hash -> Text,
            owner_id -> Text,
            store_id -> Text,
            created_at -> Timestamp,
            expires_at -> Timestamp,
            consumed_at -> Nullable<Timestamp>,
        }
    }
}

/// Tables of a store's tenant database.
pub mod tenant {
    diesel::table! {
        customers (id) {
            id -> Text,
            wa_id -> Text,
            phone -> Nullable<Text>,
            name -> Nullable<Text>,
            created_at -> Timestamp,
        }
    }

    diesel::table! {
        conversations (id) {
            id -> Text,
            customer_id -> Text,
            account_id -> Text,
            state -> Text,
            context -> Text,
            last_inbound_at -> Nullable<Timestamp>,
            created_at -> Timestamp,
            updated_at -> Timestamp,
            agent_paused -> Bool,
        }
    }

    diesel::table! {
        messages (id) {
            id -> Text,
            conversation_id -> Text,
            direction -> Text,
            wamid -> Nullable<Text>,
            kind -> Text,
            body -> Text,
            created_at -> Timestamp,
            status -> Nullable<Text>,
            status_at -> Nullable<Timestamp>,
            error -> Nullable<Text>,
            idempotency_key -> Nullable<Text>,
            in_reply_to -> Nullable<Text>,
            handled_at -> Nullable<Timestamp>,
            transcript -> Nullable<Text>,
            media_path -> Nullable<Text>,
            outbound_content -> Nullable<Text>,
        }
    }

    diesel::table! {
        menu_items (id) {
            id -> Text,
            name -> Text,
            description -> Nullable<Text>,
            category -> Nullable<Text>,
            price_minor -> BigInt,
            currency -> Text,
            available -> Bool,
            created_at -> Timestamp,
            variants -> Text,
            updated_at -> Nullable<Timestamp>,
        }
    }

    diesel::table! {
        payment_methods (id) {
            id -> Text,
            kind -> Text,
            label -> Text,
            details -> Text,
            active -> Bool,
            created_at -> Timestamp,
            instructions -> Nullable<Text>,
        }
    }

    diesel::table! {
        orders (id) {
            id -> Text,
            customer_id -> Text,
            conversation_id -> Nullable<Text>,
            account_id -> Nullable<Text>,
            status -> Text,
            currency -> Text,
            total_minor -> BigInt,
            delivery_address -> Nullable<Text>,
            payment_status -> Text,
            payment_method_id -> Nullable<Text>,
            payment_proof_path -> Nullable<Text>,
            payment_rejection_reason -> Nullable<Text>,
            conversation_state -> Text,
            conversation_context -> Text,
            created_at -> Timestamp,
            updated_at -> Timestamp,
            delivery_location -> Nullable<Text>,
            delivery_fee_minor -> BigInt,
            rider -> Nullable<Text>,
            payment_proof_sha256 -> Nullable<Text>,
            proof_reuse_of -> Nullable<Text>,
        }
    }

    diesel::table! {
        order_items (order_id, line_no) {
            order_id -> Text,
            line_no -> Integer,
            menu_item_id -> Text,
            name -> Text,
            unit_price_minor -> BigInt,
            quantity -> Integer,
            variant -> Nullable<Text>,
        }
    }

    diesel::table! {
        message_statuses (wamid, status) {
            wamid -> Text,
            status -> Text,
            occurred_at -> Timestamp,
            error -> Nullable<Text>,
        }
    }

    diesel::table! {
        auto_reply (id) {
            id -> Integer,
            reply -> Text,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        store_settings (id) {
            id -> Integer,
            delivery_fee_minor -> BigInt,
            min_order_minor -> BigInt,
            currency -> Text,
            voice_replies -> Bool,
            rider_template -> Nullable<Text>,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        agent_usage (day) {
            day -> Text,
            tokens -> BigInt,
        }
    }
}
