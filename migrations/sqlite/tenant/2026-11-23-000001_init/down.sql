DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE payment_methods;
DROP TABLE menu_items;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE customers;
