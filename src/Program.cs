return Appliance.Cli.CommandLine.Run(args);
