CREATE TABLE tls_probe (id bigserial PRIMARY KEY);
