DROP TABLE webhook_deliveries, webhook_disabled_urls, webhook_secrets, jobs, avatars, brand_profiles,
    credit_ledger, credit_balances, workspaces, plans;
