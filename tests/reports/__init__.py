"""After the drop: fulfilment, the reports and the owner's workbook."""
