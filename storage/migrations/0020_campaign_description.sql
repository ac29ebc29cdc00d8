-- The notes of a /开团 (备注, 温馨提示, 付款方式, 产地 …) as the owner wrote them: the campaign's
-- description, posted with its announcement, never read as products. NULL: none.
ALTER TABLE campaigns ADD COLUMN description TEXT;
