DROP TABLE tls_probe;
