ALTER TABLE "transactions" DROP COLUMN "last_energy_wh";--> statement-breakpoint
ALTER TABLE "transactions" DROP COLUMN "last_power_w";--> statement-breakpoint
ALTER TABLE "transactions" DROP COLUMN "last_sample_at";