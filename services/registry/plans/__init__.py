"""Annual plans (年度需求计划): units submit demand inside the policy window, the bureau consolidates."""
