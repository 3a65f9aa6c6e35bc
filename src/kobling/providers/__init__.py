"""Activity on prescription at gyms and other providers: providers, sites, certified trainers, concession contracts with requirements, provider attendance and reimbursement claims."""
