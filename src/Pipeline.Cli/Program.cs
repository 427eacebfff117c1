using Pipeline.Cli.Commands;

return await PipelineCommand.InvokeAsync(args).ConfigureAwait(false);
