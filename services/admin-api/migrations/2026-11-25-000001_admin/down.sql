DROP TABLE seo_keywords, decision_runs, inventory_levels, products, enrollments, journeys,
  campaigns, touchpoints, attributions, orders, customers, audiences;
